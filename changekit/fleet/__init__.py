"""Fleet inspection: connectors, collectors and the scan that runs them."""
