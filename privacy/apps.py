from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from library.admin_site import guard_model_admins
        from privacy import checks  # noqa: F401  (registers system checks)
        from privacy.admin_gate import gate_model_admin
        from privacy.inventory import register_with_the_trail

        # Every admin over a model that holds patron data goes through the gate,
        # and every such model's changes are logged with its fields masked, both
        # as the inventory declares.
        guard_model_admins(gate_model_admin)
        register_with_the_trail()
