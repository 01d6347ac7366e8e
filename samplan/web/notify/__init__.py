"""The inbox: pages."""
