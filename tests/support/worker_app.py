"""The Celery app of the test worker: the product's app plus the test-only flows."""

from workers import app  # noqa: F401  (builds the app from the environment)

import tests.support.flows  # noqa: E402,F401  (registers test.* flows)
