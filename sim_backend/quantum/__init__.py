"""Small quantum models that check the simulator's classical (Bloch-Maxwell) physics."""
