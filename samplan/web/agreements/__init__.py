"""The agreements register's pages, and each organisation's SIP leads and fixed SIP times
(issue 13). Forms parse; the services in samplan/agreements decide and write."""
