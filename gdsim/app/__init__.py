"""The desktop simulator (Qt). Nothing under gdsim.core imports from here."""
