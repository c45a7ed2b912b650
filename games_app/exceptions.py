from core.exceptions import DomainError


class GameNotFound(DomainError):
    code = "NOT_FOUND"
    status_code = 404
    default_message = "Game not found."


class InvalidGameDefinition(DomainError):
    code = "INVALID_GAME_DEFINITION"
    status_code = 400
    default_message = "The game definition is invalid."


class EngineUnavailable(DomainError):
    code = "ENGINE_UNAVAILABLE"
    status_code = 502
    default_message = "The slot engine did not answer correctly."
