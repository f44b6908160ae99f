from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from engagement.demo import services
from engagement.platform.errors import DomainError


class Command(BaseCommand):
    help = (
        "Stage the demo's working day on the loaded, analysed data set: an open survey wave, "
        "the inbox at work in two teams, improvement actions and saved reports."
    )

    def handle(self, *args, **options) -> None:
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        try:
            result = services.seed_demo_workflow()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        summary = result.summary
        if not result.created:
            self.stdout.write(_("The demo's open survey, inbox and reports are already there."))
        else:
            inbox = summary["inbox"]
            self.stdout.write(
                _(
                    "Open survey with %(invitations)s personal links and a public link; inbox: "
                    "%(items)s items worked on (%(sent)s replies sent, %(drafted)s drafted); "
                    "%(actions)s improvement actions; %(reports)s reports."
                )
                % {
                    "invitations": summary["open_survey"]["invitations"],
                    "items": inbox["items"],
                    "sent": inbox["replies_sent"],
                    "drafted": inbox["replies_drafted"],
                    "actions": summary["actions"],
                    "reports": summary["reports"],
                }
            )
        survey = services.open_demo_survey()
        if survey is not None:
            from surveys.services.links import public_url

            self.stdout.write(_("Answer as a customer: %(url)s") % {"url": public_url(survey)})
