"""The Celery app of the test worker: the product's app plus the test-only flows."""

import tests.support.flows  # noqa: F401  (registers test.* flows)
from workers import app  # noqa: F401  (builds the app from the environment)
