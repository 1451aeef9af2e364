"""The pages people act through (`kiemdiem serve`): a front end like the CLI.

It proves who the person is (a signed link, then a session), calls `states` for every read and
write with that person as the actor, and words the structured refusals it gets back in the
person's language. Page modules live in `web.pages`, each with a `router`.
"""

from web.app import create_app

__all__ = ["create_app"]
