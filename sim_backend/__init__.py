"""The simulated lab: one physical world and simulated instruments implementing the roles."""
