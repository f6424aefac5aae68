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
