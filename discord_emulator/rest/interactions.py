"""Interactions: the initial response (callback), then the followups, edits and deletions through the interaction's
webhook."""

from __future__ import annotations

from discord_emulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Interaction,
    interaction_metadata,
)
from discord_emulator.interactions import parse_modal as parse_modal_data
from discord_emulator.messages import assign_component_ids
from discord_emulator.models import FLAG_EPHEMERAL, FLAG_LOADING, REQUEST_ANSWERED, JsonDict, Message
from discord_emulator.rest.core import AddRoute, Resource
from discord_emulator.rest.http import DiscordError, RestRequest, RestResponse, form_error, ok, require_content, unknown


class InteractionRoutes(Resource):
    """POST /interactions/{id}/{token}/callback and /webhooks/{application_id}/{token}[/messages/...]."""

    def register(self, add: AddRoute) -> None:
        add(
            "POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.interaction_callback, auth=False
        )
        add("POST", "/webhooks/{webhook_id}/{webhook_token}", self.execute_webhook, auth=False)
        for method, handler in (
            ("GET", self.get_webhook_message),
            ("PATCH", self.edit_webhook_message),
            ("DELETE", self.delete_webhook_message),
        ):
            add(method, "/webhooks/{webhook_id}/{webhook_token}/messages/@original", handler, auth=False)
            add(method, "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", handler, auth=False)

    async def interaction_callback(self, req: RestRequest) -> RestResponse:
        emu = self.emu
        ix = emu.interactions.get(req.int_param("interaction_id"))
        if ix is None or ix.token != req.params["interaction_token"]:
            raise unknown("interaction", 10062)
        if ix.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        ix.callback_at = req.received_at
        ix.answered = REQUEST_ANSWERED.get()
        if emu.interaction_deadline is not None and ix.delivered_at is not None:
            elapsed = req.received_at - ix.delivered_at
            if elapsed > emu.interaction_deadline:
                emu.record_violation(
                    req.method,
                    req.path,
                    "",
                    f"initial response {elapsed:.1f}s after the interaction > {emu.interaction_deadline}s; defer first",
                    source="interaction",
                )
                ix.errors.append(f"the bot answered {elapsed:.1f}s after delivery, past Discord's 3 s limit")
                await emu.store.notify()
                raise unknown("interaction", 10062)
        body = req.json
        ctype = body.get("type")
        raw_data = body.get("data")
        data: JsonDict = raw_data if isinstance(raw_data, dict) else {}
        allowed = {
            APPLICATION_COMMAND: {4, 5, 9},
            AUTOCOMPLETE: {8},
            MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            MODAL_SUBMIT: {4, 5, 6, 7},
        }[ix.type]
        if ctype not in allowed or (ctype in (6, 7) and ix.source_message is None):
            problem = f"callback type {ctype} is not valid for interaction type {ix.type}"
            emu.record_violation(req.method, req.path, "type", problem, source="interaction")
            raise form_error([("type", problem)])
        message: Message | None = None
        resource: JsonDict | None = None
        flags = int(data.get("flags") or 0)
        interaction_ref = (ix.id, ix.type, ix.user, ix.command_name)
        metadata = interaction_metadata(ix)
        if ctype == 4:
            require_content(data, req.files)
            message = emu.store.create(
                channel=ix.channel,
                author=emu.world.bot,
                body=data,
                files=req.files,
                type=20 if ix.type == APPLICATION_COMMAND else 19,
                interaction=interaction_ref,
                interaction_metadata=metadata,
                webhook_id=emu.world.application_id,
            )
            ix.original_id = message.id
            resource = {"type": 4, "message": self.payload(message)}
        elif ctype == 5:
            message = emu.store.create(
                channel=ix.channel,
                author=emu.world.bot,
                body={"content": "", "flags": flags & FLAG_EPHEMERAL},
                type=20 if ix.type == APPLICATION_COMMAND else 19,
                extra_flags=FLAG_LOADING,
                interaction=interaction_ref,
                interaction_metadata=metadata,
                webhook_id=emu.world.application_id,
            )
            ix.original_id = message.id
        elif ctype == 6:
            assert ix.source_message is not None
            ix.original_id = ix.source_message.id
        elif ctype == 7:
            assert ix.source_message is not None
            message = emu.store.edit(ix.source_message, data, req.files)
            ix.original_id = message.id
            resource = {"type": 7, "message": self.payload(message)}
        elif ctype == 8:
            ix.choices = list(data.get("choices") or [])
        elif ctype == 9:
            data = {**data, "components": assign_component_ids(list(data.get("components") or []))}
            ix.modal = parse_modal_data(data)
        ix.callback_type = ctype
        ix.callback_flags = flags
        if message is not None and not message.ephemeral:
            await emu.publish_message("MESSAGE_CREATE" if ctype in (4, 5) else "MESSAGE_UPDATE", message)
        await emu.store.notify()
        # Without ?with_response=true Discord answers 204; discord.py 2.7 always asks for the body.
        if ctype == 8 or req.query.get("with_response") not in ("1", "true", "True"):
            return ok()
        interaction: JsonDict = {"id": str(ix.id), "type": ix.type}
        if ix.original_id is not None:
            target = emu.store.get(ix.original_id)
            interaction["response_message_id"] = str(ix.original_id)
            interaction["response_message_loading"] = ctype == 5
            interaction["response_message_ephemeral"] = bool(target and target.ephemeral)
        out: JsonDict = {"interaction": interaction}
        if resource is not None:
            out["resource"] = resource
        return ok(out)

    def _webhook_interaction(self, req: RestRequest) -> Interaction:
        ix = self.emu.interaction_by_token(req.params["webhook_token"])
        if ix is None or req.int_param("webhook_id") != self.emu.world.application_id:
            raise unknown("Webhook", 10015)
        return ix

    async def execute_webhook(self, req: RestRequest) -> RestResponse:
        """A followup. The first followup after a defer replaces the 'thinking' placeholder (and keeps its
        visibility), as Discord does."""
        emu = self.emu
        ix = self._webhook_interaction(req)
        if not ix.responded:
            raise unknown("Webhook", 10015)
        body = req.json
        require_content(body, req.files)
        original = ix.original
        if ix.callback_type == 5 and original is not None and original.loading:
            message = emu.store.edit(original, {k: v for k, v in body.items() if k != "flags"}, req.files)
            event = "MESSAGE_UPDATE"
        else:
            message = emu.store.create(
                channel=ix.channel,
                author=emu.world.bot,
                body=body,
                files=req.files,
                type=19 if ix.original_id else 20,
                interaction=(ix.id, ix.type, ix.user, ix.command_name),
                interaction_metadata=interaction_metadata(ix, ix.original_id),
                webhook_id=emu.world.application_id,
                reference_id=ix.original_id if ix.original_id and ix.callback_type in (4, 5) else None,
            )
            event = "MESSAGE_CREATE"
        ix.followup_ids.append(message.id)
        if not message.ephemeral:
            await emu.publish_message(event, message)
        await emu.store.notify()
        if req.query.get("wait") in ("0", "false", "False"):
            return ok()
        return ok(self.payload(message))

    def _webhook_target(self, req: RestRequest, ix: Interaction) -> Message:
        if "message_id" in req.params:
            message_id = req.int_param("message_id")
            if message_id != ix.original_id and message_id not in ix.followup_ids:
                raise unknown("Message", 10008)
        else:
            if ix.original_id is None:
                raise unknown("Message", 10008)
            message_id = ix.original_id
        message = self.emu.store.get(message_id)
        if message is None or message.deleted:
            raise unknown("Message", 10008)
        return message

    async def get_webhook_message(self, req: RestRequest) -> RestResponse:
        ix = self._webhook_interaction(req)
        return ok(self.payload(self._webhook_target(req, ix)))

    async def edit_webhook_message(self, req: RestRequest) -> RestResponse:
        ix = self._webhook_interaction(req)
        message = self._webhook_target(req, ix)
        was_loading = message.loading
        self.emu.store.edit(message, req.json, req.files)
        if not message.ephemeral:
            await self.emu.publish_message("MESSAGE_UPDATE", message)
        if was_loading:
            self.emu.stats.other["deferred_resolved"] += 1
        await self.emu.store.notify()
        return ok(self.payload(message))

    async def delete_webhook_message(self, req: RestRequest) -> RestResponse:
        ix = self._webhook_interaction(req)
        message = self._webhook_target(req, ix)
        self.emu.store.delete(message)
        if not message.ephemeral:
            await self.emu.publish_message("MESSAGE_DELETE", message)
        await self.emu.store.notify()
        return ok()
