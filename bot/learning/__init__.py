"""Learning rules: progress, quiz grading, spaced review, streaks, JP and certificates.

Plain async Python with an injected clock; no telegram imports. ``LearningService`` in
``service.py`` is the façade handlers and jobs call.
"""
