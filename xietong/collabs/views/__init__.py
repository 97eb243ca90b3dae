"""Pages of a collaboration's workspace. Thin: access helper, action, render."""
