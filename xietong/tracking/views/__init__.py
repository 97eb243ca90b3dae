"""Pages of steps 7 and 8: one module per concern, each with its own ``urlpatterns``."""
