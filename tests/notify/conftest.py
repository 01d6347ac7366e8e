import pytest

from samplan.notify.models import InboxMessage, OutboundMail


@pytest.fixture(autouse=True)
def _empty_mailboxes(db: None) -> None:
    """The shared demo world has sent mail and inbox messages; these tests count from zero.
    The deletion is rolled back with each test."""
    InboxMessage.objects.all().delete()
    OutboundMail.objects.all().delete()
