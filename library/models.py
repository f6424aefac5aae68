from django.db import models


class Branch(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """A staff member's home branch, recorded with each read they make (for "who saw my record")."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="staff_profile")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.user.get_username()} at {self.branch}"


class JobRun(models.Model):
    """The last run of one scheduled job, written by library.jobs.scheduled_job.

    One row a job, replaced at the end of every run; /readyz reads it. The
    summary is the command's own one-line result (counts, a head), never an
    exception's message, which may quote patron data.
    """

    class Outcome(models.TextChoices):
        OK = "ok", "ok"
        FAILED = "failed", "failed"

    name = models.CharField(max_length=64, unique=True)
    started = models.DateTimeField()
    finished = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    summary = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.outcome} at {self.finished:%Y-%m-%d %H:%M}"
