"""Request and response bodies (pydantic, strict: unknown fields and wrong types are refused)."""
from __future__ import annotations

import base64
import binascii
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Base64 of 4096 bytes is 5464 characters; hex is 8192. Bodies are capped anyway.
MAX_ENCODED_TRANSACTION = 8192


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBody(BaseModel):
    error: str = Field(description="A stable code clients can match on")
    message: str = Field(description="What went wrong, for a person")
    details: Optional[list[dict]] = Field(None, description="Validation errors: where and what")


class LoginRequest(_Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(_Strict):
    refresh_token: str = Field(min_length=1, max_length=256)


class SessionTokens(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str = Field(description="Single use: every refresh returns a new one; reusing one revokes the "
                                           "whole session")
    refresh_expires_in: int
    subject: str


class WhoAmI(BaseModel):
    subject: str
    method: str = Field(description="'password' or 'oidc:<provider>'")
    near_account: Optional[str] = None


# A transfer of 1 NEAR from alice.near to bob.near (nonce 7, zero key and block hash), Borsh, as an example.
EXAMPLE_TRANSFER_HEX = (
    "0a000000616c6963652e6e656172000000000000000000000000000000000000000000000000000000000000000000070000000000"
    "000008000000626f622e6e65617200000000000000000000000000000000000000000000000000000000000000000100000003000000"
    "a1edccce1bc2d3000000000000")


class TransactionRequest(_Strict):
    """The Borsh bytes of the NEAR Transaction (unsigned) or NEP-461-prefixed DelegateAction to be signed."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"transaction_hex": EXAMPLE_TRANSFER_HEX}]})
    transaction_base64: Optional[str] = Field(None, min_length=4, max_length=MAX_ENCODED_TRANSACTION,
                                              pattern=r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                                              description="The bytes, standard base64 with padding")
    transaction_hex: Optional[str] = Field(None, min_length=2, max_length=MAX_ENCODED_TRANSACTION,
                                           pattern=r"^(?:[0-9a-fA-F]{2})+$", description="The bytes, hexadecimal")

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.transaction_base64 is None) == (self.transaction_hex is None):
            raise ValueError("send exactly one of transaction_base64 and transaction_hex")
        return self

    def transaction_bytes(self) -> bytes:
        if self.transaction_hex is not None:
            try:
                data = bytes.fromhex(self.transaction_hex)
            except ValueError:
                raise ValueError("transaction_hex is not hexadecimal") from None
        else:
            try:
                data = base64.b64decode(self.transaction_base64, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("transaction_base64 is not valid base64") from None
        if not data:
            raise ValueError("the transaction is empty")
        return data


class IssuedTokenBody(BaseModel):
    token: str = Field(description="The JWT for FastAuth's sign call (verify_payload)")
    token_type: str = "JWT"
    alg: str
    kid: str
    issuer: str
    subject: str
    issued_at: int
    expires_at: int
    jti: str
    transaction_sha256: str = Field(description="SHA-256 of the bytes, hex")
    transaction_hash: str = Field(description="The same hash in NEAR's base58 form")


class CheckResult(BaseModel):
    allowed: bool
    error: Optional[str] = None
    reason: Optional[str] = Field(None, description="The policy or hook reason when refused")
    transaction: dict


class Health(BaseModel):
    status: str
    database: Optional[str] = None
    signing_key: Optional[str] = None
