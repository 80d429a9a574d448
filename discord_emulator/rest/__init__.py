"""The emulated REST API: the pipeline and router (``api``), the shapes handlers use (``http``), what the routes need
from the emulator (``core``), and one module of routes per resource."""

from discord_emulator.rest.api import API_PREFIX, RestApi
from discord_emulator.rest.http import DiscordError, RequestRecord, RestRequest, RestResponse
from discord_emulator.rest.messages import NONCE_MEMORY

__all__ = ["API_PREFIX", "NONCE_MEMORY", "DiscordError", "RequestRecord", "RestApi", "RestRequest", "RestResponse"]
