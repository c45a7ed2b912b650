"""Agent Royale client: `agent_royale.client.RoyaleClient` (HTTP) and `agent_royale.env.AgentRoyaleEnv` (Gymnasium).

The environment is imported lazily so that HTTP-only users (and the CLI) do not pay for gymnasium at import.
"""
from agent_royale.client import ApiError, RoyaleClient

__version__ = "0.1.0"
__all__ = ["ApiError", "RoyaleClient", "__version__"]
