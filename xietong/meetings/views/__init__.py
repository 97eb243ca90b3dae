"""Pages of meetings (steps 3 and 6): one module per concern, each with its own ``urlpatterns``."""
