"""The attitudes survey over time: schedules and windows, learners' answers, and cohort figures."""
