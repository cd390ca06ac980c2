"""Physical quantities at the edges: one parser (units.quantity) and one formatter
(units.display). A library: imports nothing of ours, and every layer may use it."""
