"""Which SMTP answers fail a message for good and which are retried."""

from __future__ import annotations

import aiosmtplib
import pytest

from notifications.smtp import _permanent


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "no such user", "a@x.vn")]
            ),
            True,
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(450, "mailbox busy", "a@x.vn")]
            ),
            False,
        ),
        (aiosmtplib.SMTPDataError(554, "message refused"), True),
        (aiosmtplib.SMTPDataError(421, "try again later"), False),
        (aiosmtplib.SMTPSenderRefused(550, "sender not allowed", "kd@x.vn"), False),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), False),
        (aiosmtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(), False),
    ],
)
def test_only_a_recipients_or_a_messages_5xx_is_permanent(
    error: Exception, permanent: bool
) -> None:
    assert _permanent(error) is permanent
