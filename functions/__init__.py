"""Azure Functions blueprints, one per concern. Each trigger parses input, calls one use case, shapes output."""
