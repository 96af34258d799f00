"""Configuration: a TOML file, overridden by environment variables, validated by pydantic.

Sources, later ones winning:

1. defaults (below);
2. the TOML file: `--config PATH`, else `$ISSUER_CONFIG`, else `./issuer.toml`
   when it exists;
3. environment variables `ISSUER__<SECTION>__<KEY>=value` (double
   underscores; the value is parsed as JSON when it parses, else kept as a
   string), e.g. `ISSUER__DATABASE__URL=postgresql://…`,
   `ISSUER__SERVER__CORS_ALLOW_ORIGINS='["https://app.example"]'`.

The master secrets that encrypt the signing keys at rest are never read from
the config file: they come from the environment variables named by
`keys.master_secret_env` (default `ISSUER_MASTER_SECRET`, the current secret)
and `keys.previous_master_secret_env` (default `ISSUER_MASTER_SECRET_PREVIOUS`,
still accepted while a rotation is under way), or from `keys.master_secret_file`
(one secret per line, the current one first; re-read by running instances when
a key does not open). A config file that carries a secret-looking key, or a
database URL with a password in it, is refused.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_PREFIX = "ISSUER__"
CONFIG_ENV = "ISSUER_CONFIG"
DEFAULT_CONFIG_FILE = "issuer.toml"
# Names a config file must never contain: secrets come from the environment.
FORBIDDEN_FILE_KEYS = ("master_secret", "private_key", "password", "secret")


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IssuerSection(_Section):
    # The `iss` of every token. It must equal the guard's name in the router
    # (`jwt#<url>`), trailing slash included, and it is where the discovery
    # document and the JWKS are published.
    url: str = "http://127.0.0.1:8080/"
    name: str = "FastAuth issuer"
    # The NEAR account of the guard that verifies these tokens. `guardctl deploy`
    # binds a guard's audience to its own account id, so tokens carry it as `aud`
    # unless tokens.audience says otherwise.
    guard_account: Optional[str] = None

    @field_validator("guard_account")
    @classmethod
    def _guard_account(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not re.match(r"^(?=.{2,64}$)[a-z0-9]+([-_][a-z0-9]+)*(\.[a-z0-9]+([-_][a-z0-9]+)*)*$",
                                              value):
            raise ValueError("must be a NEAR account id (the guard's account)")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s#?]+$", value):
            raise ValueError("must be an http(s) URL without '#', '?' or spaces")
        if len(value.encode()) > 256:
            raise ValueError("must be at most 256 bytes (the guard's issuer limit)")
        return value


class ServerSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    # Requests whose body is larger are refused with 413 before they are read.
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Browsers may call the API only from these origins (exact matches; no "*").
    cors_allow_origins: list[str] = []
    # Peers whose X-Forwarded-For is believed (a reverse proxy terminating TLS).
    trusted_proxies: list[str] = []
    ssl_certfile: Optional[str] = None
    ssl_keyfile: Optional[str] = None
    # Strict-Transport-Security is sent when the service is reached over HTTPS.
    hsts_seconds: int = Field(31536000, ge=0)

    @field_validator("cors_allow_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin == "*" or not re.match(r"^https?://[^/\s]+$", origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com (no '*', no path)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

    @model_validator(mode="after")
    def _tls_pair(self):
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        return self


class DatabaseSection(_Section):
    # sqlite:///relative/path.db, sqlite:////absolute/path.db, or
    # postgresql://user:password@host:port/dbname (driver: psycopg 3).
    url: str = "sqlite:///issuer.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value


class TokensSection(_Section):
    # Lifetime of an issued guard token. Short: it authorises one transaction.
    lifetime_seconds: int = Field(300, ge=5, le=3600)
    # nbf = iat - leeway, so a chain whose clock runs a little behind accepts it.
    nbf_leeway_seconds: int = Field(30, ge=0, le=300)
    # The `aud` claim; default: issuer.guard_account (what a guard deployed with
    # guardctl's defaults requires). "" issues tokens without `aud`.
    audience: Optional[str] = None
    # The algorithm new signing keys get: RS256 (what FastAuth's guards use) or EdDSA.
    algorithm: Literal["RS256", "EdDSA"] = "RS256"
    rsa_bits: Literal[2048, 3072, 4096] = 2048
    # A claim carrying the user's NEAR account (bound with `issuer users add --near-account`,
    # or from an ID token claim, see auth.oidc.near_account_claim). The policy's
    # `signer_claim`, when set, names this claim and makes it required.
    account_claim: Optional[str] = None


class KeysSection(_Section):
    master_secret_env: str = "ISSUER_MASTER_SECRET"
    # Accepted for reading (not for new encryption) while the master secret is being rotated.
    previous_master_secret_env: str = "ISSUER_MASTER_SECRET_PREVIOUS"
    # Instead of the environment: a file (mode 0600 or stricter) with one secret per line, the current
    # one first. Running instances re-read it when a key does not open, so a rotation needs no restart.
    master_secret_file: Optional[str] = None
    # Extra time after the longest token lifetime before a retired key leaves the JWKS
    # (covers a chain clock that lags the issuer's).
    retire_grace_seconds: int = Field(60, ge=0, le=86400)
    jwks_max_age_seconds: int = Field(300, ge=0, le=86400)
    # scrypt cost for deriving the key-encryption key from the master secret.
    scrypt_n: int = Field(2**15, ge=2**10, le=2**20)

    @field_validator("scrypt_n")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError("must be a power of two")
        return value


class PasswordAuthSection(_Section):
    enabled: bool = True
    access_ttl_seconds: int = Field(900, ge=30, le=86400)
    refresh_ttl_seconds: int = Field(30 * 86400, ge=60, le=365 * 86400)
    # A session family (one login and all its refreshes) ends this long after login.
    session_max_seconds: int = Field(90 * 86400, ge=60, le=3650 * 86400)
    argon2_time_cost: int = Field(3, ge=1, le=20)
    argon2_memory_kib: int = Field(65536, ge=8192, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(2, ge=1, le=16)
    # Password hashes computed at once (memory_kib each); others wait their turn.
    max_concurrent_hashes: int = Field(2, ge=1, le=64)
    min_password_length: int = Field(10, ge=8, le=128)


class OidcProvider(_Section):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    issuer: str
    # The client ids the ID token must be issued to (at least one must be in `aud`).
    audiences: list[str] = Field(min_length=1)
    # Where the keys are; discovered from {issuer}/.well-known/openid-configuration when empty.
    jwks_uri: Optional[str] = None
    algorithms: list[Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]] = ["RS256"]
    # sub of the guard token = subject_prefix + the ID token's sub ("" keeps it as is).
    subject_prefix: str = ""
    leeway_seconds: int = Field(60, ge=0, le=600)
    # Longest age of an ID token (from its iat) accepted for issuing.
    max_token_age_seconds: int = Field(3600, ge=60, le=7 * 86400)
    # JWKS cache: kept this long unless the provider's Cache-Control says less…
    jwks_cache_seconds: int = Field(3600, ge=60, le=7 * 86400)
    # …and refetched on an unknown kid at most this often.
    jwks_refetch_min_interval_seconds: int = Field(30, ge=1, le=3600)
    http_timeout_seconds: float = Field(5.0, gt=0, le=60)
    # Claims that must have these exact values (e.g. {"email_verified": true}).
    required_claims: dict[str, Any] = {}
    # An ID token claim holding the user's NEAR account id (see tokens.account_claim).
    near_account_claim: Optional[str] = None

    @field_validator("issuer", "jwks_uri")
    @classmethod
    def _http_url(cls, value):
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("subject_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if "#" in value or len(value.encode()) > 64:
            raise ValueError("must have no '#' and at most 64 bytes")
        return value


class AuthSection(_Section):
    password: PasswordAuthSection = PasswordAuthSection()
    oidc: list[OidcProvider] = []

    @field_validator("oidc")
    @classmethod
    def _unique(cls, value: list[OidcProvider]) -> list[OidcProvider]:
        names = [p.name for p in value]
        if len(names) != len(set(names)):
            raise ValueError("provider names must be unique")
        issuers = [p.issuer for p in value]
        if len(issuers) != len(set(issuers)):
            raise ValueError("provider issuers must be unique")
        return value


class Limit(_Section):
    limit: int = Field(ge=1, le=10**9)
    window_seconds: int = Field(ge=1, le=86400)


class RateLimitsSection(_Section):
    # "database": counters in the database, shared by every worker and host;
    # "memory": per process (one worker only).
    backend: Literal["database", "memory"] = "database"
    issue_per_subject: Limit = Limit(limit=30, window_seconds=60)
    issue_per_ip: Limit = Limit(limit=300, window_seconds=60)
    login_per_ip: Limit = Limit(limit=20, window_seconds=60)
    # Failed logins per username; reaching it locks that username for the window.
    login_failures_per_user: Limit = Limit(limit=5, window_seconds=900)
    refresh_per_ip: Limit = Limit(limit=60, window_seconds=60)


class AuthorizationSection(_Section):
    # "module.path:function" called before every issue; see issuer.authorization.
    hook: Optional[str] = None
    # Largest transaction accepted (the token must also fit the guard's 7168 bytes).
    max_transaction_bytes: int = Field(1024, ge=16, le=4096)
    # Which subjects may ask for tokens: "*" (every authenticated user) or a list.
    allowed_subjects: list[str] = ["*"]
    # Also run the guard's own integrator rule before issuing: `check_custom_rules` of the module
    # named here (the project installs contract/custom_rules.py as `custom_rules`).
    run_guard_custom_rules: bool = False
    guard_custom_rules_module: str = "custom_rules"


class AuditSection(_Section):
    # Also write each audit record as a JSON line to the "issuer.audit" logger.
    log: bool = True


class TestingSection(_Section):
    # Seconds added to the wall clock. Only for test networks whose clock was
    # fast-forwarded (sandbox_fast_forward); must stay 0 in production.
    clock_offset_seconds: int = 0


class Settings(_Section):
    issuer: IssuerSection = IssuerSection()
    server: ServerSection = ServerSection()
    database: DatabaseSection = DatabaseSection()
    tokens: TokensSection = TokensSection()
    keys: KeysSection = KeysSection()
    auth: AuthSection = AuthSection()
    rate_limits: RateLimitsSection = RateLimitsSection()
    # The guard's transaction policy format (contract/guard_core/policy_spec.py);
    # None: no policy (every transaction that decodes is acceptable).
    policy: Optional[dict[str, Any]] = None
    authorization: AuthorizationSection = AuthorizationSection()
    audit: AuditSection = AuditSection()
    testing: TestingSection = TestingSection()

    @model_validator(mode="after")
    def _account_claim(self):
        signer_claim = (self.policy or {}).get("signer_claim")
        if signer_claim is not None and self.tokens.account_claim not in (None, signer_claim):
            raise ValueError(f"tokens.account_claim ({self.tokens.account_claim}) differs from the policy's "
                             f"signer_claim ({signer_claim}); they name the same claim")
        if self.tokens.account_claim in ("iss", "sub", "iat", "nbf", "exp", "jti", "fatxn", "aud"):
            raise ValueError("tokens.account_claim cannot be a registered claim")
        return self

    @property
    def account_claim(self) -> Optional[str]:
        """The claim that carries the user's NEAR account, if tokens carry one."""
        signer_claim = (self.policy or {}).get("signer_claim")
        return signer_claim if isinstance(signer_claim, str) else self.tokens.account_claim

    @property
    def issuer_url(self) -> str:
        return self.issuer.url

    @property
    def audience(self) -> Optional[str]:
        """The `aud` of issued tokens: tokens.audience, else the guard's account; None for none."""
        audience = self.tokens.audience if self.tokens.audience is not None else self.issuer.guard_account
        return audience or None

    @property
    def base_url(self) -> str:
        """The issuer URL without its trailing slash, for building sub-paths."""
        return self.issuer.url.rstrip("/")

    @property
    def jwks_url(self) -> str:
        return self.base_url + "/.well-known/jwks.json"

    def public_dict(self) -> dict:
        """The settings as JSON, with the database password masked (for `issuer config show`)."""
        data = self.model_dump(mode="json")
        data["database"]["url"] = mask_url_password(data["database"]["url"])
        return data


def mask_url_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _check_no_secrets(data: Any, path: str = "") -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() in FORBIDDEN_FILE_KEYS and not isinstance(value, dict):
                raise ConfigError(f"{where}: secrets do not belong in the config file; "
                                  "use the environment (see keys.master_secret_env)")
            _check_no_secrets(value, where)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _check_no_secrets(item, f"{path}[{index}]")


def _check_no_database_password(data: dict) -> None:
    url = (data.get("database") or {}).get("url") if isinstance(data.get("database"), dict) else None
    if isinstance(url, str) and re.search(r"://[^/@]*:[^/@]*@", url):
        raise ConfigError("database.url: a password does not belong in the config file; set the URL with "
                          "ISSUER__DATABASE__URL in the environment, or use PGPASSWORD / ~/.pgpass")


def _set_path(data: dict, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        existing = data.get(part)
        if not isinstance(existing, dict):
            existing = {}
            data[part] = existing
        data = existing
    data[path[-1]] = value


def environment_overrides(environ: dict[str, str]) -> dict:
    overrides: dict = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX):].split("__") if part]
        if not path:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        _set_path(overrides, path, value)
    return overrides


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def config_path(explicit: Optional[str], environ: dict[str, str]) -> Optional[Path]:
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def describe_validation_error(err: ValidationError) -> str:
    lines = []
    for error in err.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


def settings_from_dict(data: dict) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"invalid configuration: {describe_validation_error(err)}") from None


def load_settings(path: Optional[str] = None, environ: Optional[dict[str, str]] = None) -> Settings:
    """Settings from the TOML file (if any) and the environment."""
    environ = dict(os.environ if environ is None else environ)
    data: dict = {}
    file_path = config_path(path, environ)
    if file_path is not None:
        try:
            data = tomllib.loads(file_path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {file_path} does not exist") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"config file {file_path} is not valid TOML: {err}") from None
        _check_no_secrets(data)
        _check_no_database_password(data)
    return settings_from_dict(_merge(data, environment_overrides(environ)))


MIN_SECRET_CHARS = 32


def _checked_secret(value: str, where: str) -> bytes:
    raw = value.encode()
    if len(raw) < MIN_SECRET_CHARS:
        raise ConfigError(f"{where} is too short: use at least {MIN_SECRET_CHARS} characters "
                          "(e.g. `issuer secret generate`)")
    return raw


def master_secret(settings: Settings, environ: Optional[dict[str, str]] = None) -> bytes:
    """The current master secret (what new key blobs are encrypted under); at least 32 bytes."""
    return master_secrets(settings, environ)[0]


def master_secrets(settings: Settings, environ: Optional[dict[str, str]] = None) -> list[bytes]:
    """The master-secret ring: the current secret first, then the ones still accepted for reading."""
    environ = os.environ if environ is None else environ
    keys = settings.keys
    if keys.master_secret_file:
        path = Path(keys.master_secret_file)
        try:
            mode = path.stat().st_mode
            lines = [line.strip() for line in path.read_text().splitlines()]
        except OSError as err:
            raise ConfigError(f"keys.master_secret_file {path}: {err.strerror or err}") from None
        if mode & 0o077:
            raise ConfigError(f"keys.master_secret_file {path} is readable by others; chmod 600 it")
        ring = [_checked_secret(line, f"a secret in {path}") for line in lines if line and not line.startswith("#")]
        if not ring:
            raise ConfigError(f"keys.master_secret_file {path} holds no secret")
        return ring
    value = environ.get(keys.master_secret_env)
    if not value:
        raise ConfigError(f"{keys.master_secret_env} is not set: the signing keys are encrypted under it "
                          "(generate one with `issuer secret generate`)")
    ring = [_checked_secret(value, keys.master_secret_env)]
    previous = environ.get(keys.previous_master_secret_env)
    if previous:
        ring.append(_checked_secret(previous, keys.previous_master_secret_env))
    return ring
