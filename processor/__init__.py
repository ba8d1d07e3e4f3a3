"""wix-meetings-processor: verified Wix webhooks in, durably stored, queued, processed by Celery flows."""

__version__ = "0.1.0"
