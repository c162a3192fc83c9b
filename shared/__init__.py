"""Code every stinet service imports: contracts, configuration, logging, broker topology."""
