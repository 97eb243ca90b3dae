"""The forms of steps 7 and 8, one module per room: progress, registers, sla, changes, closing."""
