"""Built-in collectors: one module per fact family, each a plugin through ``register_collectors``."""
