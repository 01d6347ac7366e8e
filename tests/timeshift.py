"""Letting time pass in tests: a meeting called for next week has taken place."""

from datetime import timedelta

from django.utils import timezone

from samplan.plans.models import Meeting


def meeting_has_taken_place(meeting: Meeting) -> Meeting:
    start = timezone.now() - timedelta(hours=2)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=1)
    )
    meeting.refresh_from_db()
    return meeting
