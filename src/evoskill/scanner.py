"""Static, offline scan of a skill folder for signs of a hostile skill.

``scan(path)`` reads every file of a skill (SKILL.md, references, scripts, assets) and returns a
:class:`ScanReport`: a list of :class:`Finding` (category, severity, file, line, message, fix) and whether the
skill is ``blocked`` (a finding at or above the blocking severity, ``high`` by default). Nothing scanned is ever
run, imported or unpickled; no network and no model are used; a binary or undecodable file is a finding, never
a crash.

Categories (see ``CATEGORIES``): prompt-injection, hidden-text, exfiltration, credential-access,
dangerous-execution, obfuscation, persistence, bundled-binaries.

How it looks:

* **every text file** goes through regular expressions (prompt injection is matched on a normalized copy:
  NFKC, look-alike letters mapped, invisible characters dropped), hidden-Unicode checks (tag characters, bidi
  overrides, zero-width runs, variation-selector smuggling), hidden markdown/HTML (comments, ``display:none``)
  and blobs (base64, hex, ``\\x`` escapes), which are decoded (and decompressed, with a size cap) and scanned
  again, up to three levels deep;
* **Python** (files and fenced ``python`` blocks in markdown) is parsed with :mod:`ast`: names are resolved
  through imports, aliases (``e = eval``), ``getattr(builtins, "ex" + "ec")``, ``__import__("o" + "s")``,
  ``sys.modules[...]`` and ``globals()[...]``; string constants are folded by a small interpreter of pure
  operations only (``+``, ``%``, f-strings, ``chr``, ``join``, slicing, ``replace``, base64/hex/rot13 decoding,
  XOR of integers, bounded decompression); a light taint pass follows decoded, downloaded, environment and
  secret-file data through assignments, function returns and sibling modules of the same skill into sinks
  (``eval``/``exec``, shell commands, network calls, unpickling);
* **the skill as a whole**: reading secrets in one file and sending data over the network in another is
  exfiltration; downloading a file and making it executable is dangerous execution.

Why hand-written and not ``bandit``: bandit (checked, 1.9.x) is maintained, offline and fast per file, but it
matches call names only through import aliases, so ``e = eval``, ``getattr(builtins, "ev" + "al")`` and
decoded payloads pass unseen; its severities suit code review (``os.system("curl ... | sh")`` is LOW), it flags
legitimate patterns a skill uses (``import subprocess``, ``urlopen``), and loading its plugins costs about
0.4 s, four times this scanner's budget for a whole skill. The checks bandit would add for skills are the
handful of sinks below, which must be resolved through the alias/folding layer anyway.
``cisco-ai-skill-scanner`` (2.3.x) pulls in about 25 packages (litellm, openai, anthropic, fastapi, uvicorn,
magika, yara-x, textual) and pins ``rich<15``, which conflicts with evoskill's ``rich``.
"""

from __future__ import annotations

import ast
import base64
import binascii
import bisect
import bz2
import json
import lzma
import os
import re
import stat
import string
import time
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UserError

SEVERITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("prompt-injection", "hidden-text", "exfiltration", "credential-access", "dangerous-execution",
              "obfuscation", "persistence", "bundled-binaries")
DEFAULT_BLOCK_AT = "high"
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

MAX_FILES = 2000                 # files scanned in one skill (more is itself a finding)
MAX_FILE_BYTES = 2_000_000       # bytes read from one file (the rest is a finding)
MAX_TOTAL_BYTES = 40_000_000     # bytes read from one skill
MAX_DEPTH = 3                    # decoded-inside-decoded levels
MAX_DECODED = 1_000_000          # bytes a decoder or decompressor may produce
MAX_PER_RULE = 8                 # findings of one rule in one file

_PI, _HT, _EX, _CA, _DE, _OB, _PE, _BB = CATEGORIES


# ---------------------------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Rule:
    """One kind of finding: stable id, category, a short title and the fix."""

    id: str
    category: str
    title: str
    fix: str


@dataclass(frozen=True)
class Finding:
    category: str
    severity: str
    file: str        # relative to the scanned folder, with "/"
    line: int        # 1-based; 0 when the finding is about the whole file
    message: str
    fix: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "severity": self.severity, "file": self.file, "line": self.line,
                "message": self.message, "fix": self.fix, "rule": self.rule}


@dataclass
class ScanReport:
    path: str
    findings: list[Finding]
    block_at: str = DEFAULT_BLOCK_AT
    files_scanned: int = 0
    seconds: float = 0.0

    @property
    def blocked(self) -> bool:
        limit = _RANK[self.block_at]
        return any(_RANK[f.severity] >= limit for f in self.findings)

    @property
    def worst(self) -> str | None:
        return max((f.severity for f in self.findings), key=_RANK.__getitem__, default=None)

    def blocking(self) -> list[Finding]:
        limit = _RANK[self.block_at]
        return [f for f in self.findings if _RANK[f.severity] >= limit]

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "blocked": self.blocked}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    def sarif(self) -> dict[str, Any]:
        """The report as a SARIF 2.1.0 log (one run, tool ``evoskill-scan``)."""
        from . import __version__

        used = sorted({f.rule for f in self.findings})
        index = {r: i for i, r in enumerate(used)}
        level = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
        score = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
        rules = []
        for rid in used:
            r = RULES[rid]
            rules.append({"id": rid, "name": rid.replace("/", "-"), "shortDescription": {"text": r.title},
                          "help": {"text": r.fix}, "properties": {"category": r.category, "tags": ["security"]}})
        results = []
        for f in self.findings:
            loc: dict[str, Any] = {"artifactLocation": {"uri": f.file, "uriBaseId": "SKILLROOT"}}
            if f.line > 0:
                loc["region"] = {"startLine": f.line}
            results.append({"ruleId": f.rule, "ruleIndex": index[f.rule], "level": level[f.severity],
                            "message": {"text": f.message}, "locations": [{"physicalLocation": loc}],
                            "properties": {"severity": f.severity, "category": f.category, "fix": f.fix,
                                           "security-severity": score[f.severity]}})
        base = Path(self.path).resolve().as_uri().rstrip("/") + "/"
        return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
                "runs": [{"tool": {"driver": {"name": "evoskill-scan", "version": __version__,
                                              "informationUri": "https://agentskills.io/", "rules": rules}},
                          "originalUriBaseIds": {"SKILLROOT": {"uri": base}},
                          "results": results,
                          "properties": {"blocked": self.blocked, "blockAt": self.block_at}}]}

    def to_sarif(self) -> str:
        return json.dumps(self.sarif(), indent=1, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------- rules

RULES: dict[str, Rule] = {}


def _rule(rid: str, category: str, title: str, fix: str) -> str:
    RULES[rid] = Rule(rid, category, title, fix)
    return rid


_FIX_PI = "remove text that addresses the agent over the user's head; a skill describes a task, it does not give orders"
R_PI_OVERRIDE = _rule("prompt-injection/override", _PI, "tells the agent to ignore or replace its instructions", _FIX_PI)
R_PI_CONCEAL = _rule("prompt-injection/conceal", _PI, "tells the agent to hide what it does from the user", _FIX_PI)
R_PI_USER = _rule("prompt-injection/overrule-user", _PI, "tells the agent to act regardless of the user or without asking",
                  _FIX_PI)
R_PI_ROLE = _rule("prompt-injection/role-tokens", _PI, "chat-template or system-role markers inside a skill",
                  "remove chat-template markers (<|im_start|>, [INST], <system>) from the skill")
R_PI_BYPASS = _rule("prompt-injection/bypass-safety", _PI, "asks the agent to switch off safety checks or approvals",
                    _FIX_PI)
R_PI_SEND = _rule("prompt-injection/send-secrets", _PI, "asks the agent to send secrets somewhere",
                  "remove the request; a skill never asks for the user's secrets to be sent anywhere")
R_HT_TAGS = _rule("hidden-text/unicode-tags", _HT, "invisible Unicode tag characters carry hidden text",
                  "delete the characters U+E0000..U+E007F (they render as nothing but models read them)")
R_HT_BIDI = _rule("hidden-text/bidi", _HT, "bidirectional override characters reorder what a reader sees",
                  "delete U+202A..U+202E and U+2066..U+2069")
R_HT_ZW = _rule("hidden-text/zero-width", _HT, "zero-width characters hide data or split words",
                "delete the zero-width characters (U+200B..U+200D, U+2060..U+2064, U+FEFF inside the text)")
R_HT_VS = _rule("hidden-text/variation-selectors", _HT, "runs of variation selectors smuggle bytes",
                "delete the variation-selector run")
R_HT_HOMO = _rule("hidden-text/look-alike", _HT, "look-alike letters from another script inside Latin words",
                  "retype the word in plain Latin letters")
R_HT_COMMENT = _rule("hidden-text/comment", _HT, "text hidden from the rendered page (HTML or markdown comment)",
                     "move the text out of the comment so a reader sees what the agent reads, or delete it")
R_HT_CSS = _rule("hidden-text/css-hidden", _HT, "HTML styled to be invisible",
                 "remove the hidden element or make its text visible")
R_EX_PATH = _rule("exfiltration/secret-path", _EX, "reads SSH keys, cloud credentials, browser profiles or wallets",
                  "a skill must not touch the user's keys, cloud credentials, browser data or wallets; remove it")
R_EX_SEND = _rule("exfiltration/send-secrets", _EX, "sends environment variables or secret files over the network",
                  "remove the code that sends the environment or secret files; pass one named variable if an API "
                  "needs a key")
R_EX_SHELL = _rule("exfiltration/shell", _EX, "shell command that sends the environment or secret files out",
                   "remove the command")
R_EX_DEST = _rule("exfiltration/drop-site", _EX, "URL of a paste, webhook, tunnel or bare-IP host",
                  "call the documented API host instead of a drop site")
R_EX_LINK = _rule("exfiltration/symlink", _EX, "symlink pointing outside the skill folder",
                  "replace the symlink by a copy of the file it should provide")
R_EX_CORR = _rule("exfiltration/correlated", _EX, "the skill reads secrets and also sends data over the network",
                  "remove the secret reading, or the network call")
R_CA_FILE = _rule("credential-access/credential-file", _CA, "reads a credential store (.netrc, .git-credentials, "
                  "token files, /proc/*/environ)", "remove the access; ask the user for the one value the task needs")
R_CA_ENV = _rule("credential-access/environment-dump", _CA, "dumps or harvests the whole environment",
                 "read only the named variables the skill documents")
R_CA_CLI = _rule("credential-access/token-command", _CA, "asks a CLI or keychain for tokens or passwords",
                 "let the user provide the credential; never extract it")
R_CA_KEYRING = _rule("credential-access/keyring", _CA, "reads the system keyring",
                     "document the keyring entry the skill uses, or take the value from its documented variable")
R_CA_SEARCH = _rule("credential-access/secret-search", _CA, "searches the disk for keys, passwords or tokens",
                    "remove the search")
R_CA_EMBED = _rule("credential-access/embedded-secret", _CA, "a secret (key or token) is written into the skill",
                   "remove the secret from the skill and rotate it")
R_DE_EXEC = _rule("dangerous-execution/eval", _DE, "eval/exec/compile of code that is not in the file",
                  "do not run text as code; parse data with json or ast.literal_eval")
R_DE_SHELL = _rule("dangerous-execution/shell", _DE, "shell command (shell=True, os.system, sh -c)",
                   "call subprocess.run with a list of arguments and shell=False")
R_DE_PIPE = _rule("dangerous-execution/download-and-run", _DE, "downloads code and runs it (curl | sh and the like)",
                  "ship the code inside the skill (pinned, reviewable) instead of fetching and running it")
R_DE_DESER = _rule("dangerous-execution/unsafe-deserialize", _DE, "pickle/marshal/yaml.load of data (runs code)",
                   "use json, or yaml.safe_load")
R_DE_REVSHELL = _rule("dangerous-execution/remote-shell", _DE, "reverse shell or raw socket to a shell",
                      "remove it")
R_DE_DESTROY = _rule("dangerous-execution/destructive", _DE, "destructive command (rm -rf ~, mkfs, fork bomb)",
                     "remove it")
R_DE_NATIVE = _rule("dangerous-execution/native-code", _DE, "loads machine code into executable memory",
                    "remove it")
R_OB_BLOB = _rule("obfuscation/encoded-blob", _OB, "long encoded blob (base64/hex/escapes)",
                  "ship readable source instead of an encoded payload")
R_OB_DECODE = _rule("obfuscation/decoded-code", _OB, "code or commands hidden by encoding, compression or chr()",
                    "write the code in plain text so it can be reviewed")
R_OB_NAME = _rule("obfuscation/built-name", _OB, "builds a dangerous name or command from pieces at run time",
                  "call functions by their plain names")
R_OB_INDIRECT = _rule("obfuscation/indirection", _OB, "reaches eval/exec/system through aliases or getattr",
                      "call functions by their plain names")
R_OB_MARSHAL = _rule("obfuscation/marshal", _OB, "marshal or code-object construction (bytecode payloads)",
                     "ship Python source, not code objects")
R_OB_ANTIFORENSIC = _rule("obfuscation/anti-forensics", _OB, "erases shell history or logs",
                          "remove it")
R_PE_CRON = _rule("persistence/cron", _PE, "installs a cron job", "a skill must not schedule itself; remove it")
R_PE_PROFILE = _rule("persistence/shell-profile", _PE, "writes a shell start-up file (~/.bashrc, ~/.profile, ...)",
                     "tell the user what to add instead of writing their start-up files")
R_PE_SERVICE = _rule("persistence/service", _PE, "installs a systemd unit, launchd agent or Run key",
                     "a skill must not install services; remove it")
R_PE_SSH = _rule("persistence/authorized-keys", _PE, "adds an SSH authorized key", "remove it")
R_PE_AGENT = _rule("persistence/agent-config", _PE, "writes another agent's configuration or memory files",
                   "a skill must not edit agent configuration (CLAUDE.md, AGENTS.md, settings, MCP config)")
R_PE_PYSTART = _rule("persistence/python-startup", _PE, "writes sitecustomize/usercustomize or .pth start-up hooks",
                     "remove it")
R_BB_EXEC = _rule("bundled-binaries/executable", _BB, "compiled executable or library inside the skill",
                  "ship source code that can be reviewed, not binaries")
R_BB_ARCHIVE = _rule("bundled-binaries/archive", _BB, "archive whose contents are not scanned",
                     "unpack the archive into the skill so its files can be reviewed")
R_BB_DATA = _rule("bundled-binaries/binary-data", _BB, "binary or undecodable file",
                  "store text as UTF-8; keep binary assets out of the skill or document them")
R_BB_LIMIT = _rule("bundled-binaries/too-large", _BB, "file or skill too large to scan completely",
                   "split large data out of the skill")


# ---------------------------------------------------------------------------------------------- text patterns

@dataclass(frozen=True)
class _Pat:
    rule: str
    severity: str
    regex: re.Pattern[str]
    message: str
    kinds: frozenset[str] | None = None     # None: every kind of text file
    normalized: bool = False                # match the normalized text (prompt injection)
    cap: str | None = None                  # capability recorded for skill-level correlation


_F = re.IGNORECASE
_KIND_CODE = frozenset({"python", "shell", "js"})

_HOME = r"(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|/home/[\w.*-]+|/Users/[\w.*-]+|/root|\*|<\?>)?"
_SSH = (r"(?:\.ssh[/\\](?![\w.-]*\.pub\b)|\.ssh\b(?![/\\.-])|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)"
        r"|\bknown_hosts\b)")
_CLOUD = (r"(?:\.aws[/\\](?:credentials|config|sso)|~/\.aws\b|\.config[/\\]gcloud|application_default_credentials\.json"
          r"|\.azure[/\\](?:accessTokens|msal_token_cache|azureProfile)|\.config[/\\]doctl|\.oci[/\\]config)")
_BROWSER = (r"(?:Google[/\\ ]Chrome[/\\]|google-chrome[/\\]|\.config[/\\]chromium|BraveSoftware[/\\]|Microsoft[/\\]Edge[/\\]"
            r"|\.mozilla[/\\]firefox|Firefox[/\\]Profiles|Opera Software[/\\]|\blogins\.json\b|\bkey[34]\.db\b"
            r"|\bcookies\.sqlite\b|(?-i:(?:^|[/\\\"'])(?:Login Data|Local State|Web Data|Cookies)\b))")
_WALLET = (r"(?:\bwallet\.dat\b|\.bitcoin[/\\]|\.ethereum[/\\]keystore|\belectrum[/\\]wallets|Exodus[/\\]exodus\.wallet"
           r"|\bMetaMask[/\\]|nkbihfbeogaeaoehlefnkodbefgpgknn|\.config[/\\]solana[/\\]id\.json|atomic[/\\]Local Storage"
           r"|\bKeychains?[/\\]|login\.keychain|\.gnupg[/\\](?:private-keys|secring))")
SENSITIVE_PATH = re.compile("|".join([_SSH, _CLOUD, _BROWSER, _WALLET]), _F)
CREDENTIAL_FILE = re.compile(
    r"(?:\.netrc\b|\.git-credentials\b|\.pypirc\b|\.docker[/\\]config\.json|\.kube[/\\]config\b"
    r"|\.config[/\\]gh[/\\]hosts\.yml|\.config[/\\]hub\b|\.claude[/\\]\.credentials|\.codex[/\\]auth\.json"
    r"|/proc/(?:self|\d+|\*|\$\w+|\{[^}]*\})/environ|/etc/shadow\b|\.bash_history\b|\.zsh_history\b"
    r"|\.vault-token\b|\.terraform\.d[/\\]credentials)", _F)
PERSIST_PATH = re.compile(
    r"(?:\.(?:bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|zlogin)\b|(?:^|[/\\~])\.profile\b"
    r"|\.config[/\\]fish[/\\]config\.fish|\.config[/\\]autostart|/etc/cron|/var/spool/cron"
    r"|\.config[/\\]systemd[/\\]user|/etc/systemd/system|Library[/\\]Launch(?:Agents|Daemons)"
    r"|CurrentVersion\\+Run|Start Menu[/\\]Programs[/\\]Startup|\bauthorized_keys\b"
    r"|\b(?:site|user)customize\.py\b|site-packages[/\\][^\s'\"]*\.pth\b"
    r"|\.claude[/\\](?:settings[\w.]*\.json|CLAUDE\.md|hooks)|claude_desktop_config\.json|\.cursor[/\\]mcp\.json"
    r"|\.codex[/\\]config|\.gemini[/\\]settings)", _F)
SECRET_GLOB = re.compile(r"\*\.(?:pem|key|ppk|kdbx|p12|pfx|keystore|ovpn|asc)\b|\*id_rsa\*|\*wallet\*|\*\.env\b", _F)

_NET_CMD = r"(?:curl|wget|nc|ncat|netcat|socat|scp|rsync|sftp|ftp|telnet|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)"
_SHELLS = r"(?:sudo\s+)?(?:env\s+)?(?:/usr)?(?:/bin/)?(?:ba|z|da|k|fi|c|tc)?sh\b"
_INTERP = r"(?:sudo\s+)?(?:/usr/bin/)?(?:python[23]?(?:\.\d+)?|perl|ruby|node|php|iex|Invoke-Expression|pwsh|powershell)\b"

_SENDV = (r"(?:send|sending|upload|uploading|post|posting|submit|submitting|forward|forwarding|transmit|transmitting"
          r"|share|sharing|sync|syncing|mirror|mirroring|relay|relaying|beacon|exfiltrate|exfiltrating|include|including"
          r"|attach|attaching|paste|pasting|copy|copying|back\s*up|backing\s+up|e-?mail|deliver|delivering|push|pushing"
          r"|report|reporting|pass|passing|hand\s+over|leak|sent|uploaded|posted|submitted|forwarded|transmitted|shared"
          r"|synced|mirrored|relayed|included|attached|pasted|copied|backed\s+up|e-?mailed|delivered|pushed|reported"
          r"|passed|handed\s+over|leaked)")
_SECRETS = (r"(?:environment\s+variables|env\s+vars|\benv\b\s+output|output\s+of\s+`?(?:env|printenv|set)\b`?"
            r"|`?\.env`?\s+files?|the\s+`?\.env`?|api\s+keys|(?:auth|session|bearer|access|refresh)\s+tokens"
            r"|all\s+tokens|any\s+tokens|\btokens\s+(?:you|it|they)\s+(?:can\s+)?find|secrets|passwords|ssh\s+keys?"
            r"|private\s+keys?|\bid_rsa\b|(?:browser|session)\s+cookies|\bcookies\b|(?:crypto\s+)?wallets?\b"
            r"|seed\s+phrases?|mnemonics?|keychain|shell\s+history|credentials?\s+files?|(?:all|any|stored|saved|cached"
            r"|the\s+user'?s)\s+credentials|~/\.ssh(?![/\\][\w.-]*\.pub\b)|~/\.(?:aws|netrc|git-credentials|config/gcloud)"
            r"|\.netrc|\.git-credentials"
            r"|\.aws/credentials)")
_DEST = (r"(?:https?://\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:invalid|com|net|org|io|xyz|site|app|dev|ru|cn|top|info|biz|me)\b"
         r"|\bwebhook\b|\bendpoint\b|\bserver\b|\bcollector\b|\bour\s+(?:team|service|api|backend|servers?)\b"
         r"|[\w.+-]+@[\w-]+\.\w+)")

_NOT_TELL = (r"\b(?:do\s+not|don'?t|never|avoid|refrain\s+from|no\s+need\s+to|there'?s\s+no\s+need\s+to|without)\s+"
             r"(?:\w+\s+){0,2}?(?:tell|telling|inform|informing|mention|mentioning|reveal|revealing|disclose|disclosing"
             r"|notify|notifying|alert|alerting|bother|bothering|trouble|troubling|report|reporting|warn|warning|let)\s+"
             r"(?:\w+\s+){0,2}?(?:the\s+user|users|the\s+human|the\s+operator|anyone|them)\b")

_PATTERNS: list[_Pat] = [
    # ---- prompt injection (normalized text)
    _Pat(R_PI_OVERRIDE, "high", re.compile(
        r"\b(?:ignore|disregard|forget|override|overrule|bypass|abandon|set\s+aside|pay\s+no\s+attention\s+to|do\s+not\s+follow"
        r"|don'?t\s+follow|stop\s+following)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|former|original"
        r"|initial|existing|system|developer|safety|security|other|all|any|your|the\s+user'?s)\s+(?:\w+\s+)?(?:instructions?"
        r"|directions?|rules|guidelines|guidance|prompts?|messages?|constraints|polic(?:y|ies)|restrictions|directives"
        r"|orders|commands\s+from)\b", _F), "tells the agent to ignore its instructions: '{m}'", normalized=True),
    _Pat(R_PI_OVERRIDE, "high", re.compile(
        r"\bforget\s+(?:everything|all)\s+(?:you|that|above|before|previously|you've)\b"
        r"|\byour\s+(?:new|real|actual|true|updated)\s+(?:instructions|task|purpose|goal|objective|directive)s?\s+(?:is|are)\b"
        r"|\b(?:new|updated|revised)\s+system\s+(?:prompt|instructions?)\s*:"
        r"|\byou\s+are\s+(?:now|no\s+longer)\b[^.\n]{0,40}\b(?:unrestricted|jailbroken|DAN\b|developer\s+mode|free\s+of|bound\s+by"
        r"|without\s+(?:any\s+)?(?:restrictions|limits|rules))"
        r"|\b(?:these|the\s+following|this\s+skill'?s|my)\s+instructions\s+(?:take|have|get)\s+(?:precedence|priority)"
        r"|\b(?:supersedes?|overrides?|replaces?)\s+(?:all|any|the)\s+(?:other|previous|prior|user'?s?|system)\s+"
        r"(?:instructions|rules|prompts?|requests)"
        r"|\b(?:higher|top|absolute|highest|greater)\s+priority\s+than\s+(?:the\s+)?(?:user|system|any|your)", _F),
        "claims authority over the agent's instructions: '{m}'", normalized=True),
    _Pat(R_PI_CONCEAL, "high", re.compile(
        _NOT_TELL + r"(?:\s*(?:[.!;:,)]|$)|[^.\n]{0,30}?\b(?:about|of|that|with|regarding)\s+(?:this|these|that|it|any\s+of\s+this"
        r"|the\s+(?:\w+\s+)?(?:step|upload|transfer|request|command|copy|backup|sync|detail|action|part)s?)\b)"
        r"|\b(?:do\s+not|don'?t|never|avoid|refrain\s+from|no\s+need\s+to)\s+(?:tell|mention|reveal|disclose|report|show|explain)"
        r"\s+(?:this|it|that|these|anything|any\s+of\s+this)\s+(?:step\s+)?(?:to|with)\s+(?:the\s+user|them|anyone|the\s+human)\b"
        r"|\b(?:keep|keeping)\s+(?:this|it|these\s+\w+|the\s+\w+)\s+(?:step\s+)?(?:secret|hidden|confidential|private|quiet"
        r"|between\s+us|to\s+yourself)\b"
        r"|\b(?:the\s+user|they|the\s+human)\s+(?:must|should|need|needs|does|do)\s*(?:not|n'?t)\s+(?:\w+\s+)?(?:know|find\s+out|see"
        r"|notice|learn|be\s+told|be\s+informed)\b"
        r"|\bwithout\s+(?:the\s+user|them|anyone|the\s+human)\s+(?:knowing|noticing|seeing|being\s+aware|finding\s+out)\b"
        r"|\b(?:silently|quietly|secretly|covertly|discreetly|stealthily|invisibly|unobtrusively)\s+(?:\w+\s+){0,2}?"
        r"(?:send|upload|post|transmit|copy|forward|run|execute|install|add|append|write|exfiltrate|collect|include|attach"
        r"|sync|read|fetch|download|modify|change|delete|call|submit)\b"
        r"|\bhide\s+(?:this|the|these|all|any)\s+(?:\w+\s+)?(?:step|output|command|action|activity|request|call)s?\s+from\b"
        r"|\b(?:omit|leave\s+out|exclude)\s+(?:this|these|it|that|the\s+\w+)\s+(?:step\s+)?from\s+(?:your|the)\s+"
        r"(?:summary|response|report|answer|reply|output|explanation)", _F),
        "tells the agent to hide its actions from the user: '{m}'", normalized=True),
    _Pat(R_PI_CONCEAL, "medium", re.compile(_NOT_TELL, _F | re.M),
         "tells the agent not to tell the user something: '{m}'", normalized=True),
    _Pat(R_PI_USER, "high", re.compile(
        r"\b(?:regardless|irrespective)\s+of\s+(?:what(?:ever)?|any(?:thing)?)\s+(?:\w+\s+)?(?:the\s+user|they|the\s+human"
        r"|the\s+operator)\b"
        r"|\beven\s+if\s+(?:the\s+user|they|the\s+human)\s+(?:says|asks|tells|objects|refuses|declines|disagrees|requests"
        r"|says\s+no|does\s+not|doesn'?t)\b"
        r"|\b(?:the\s+user|they)\s+(?:has|have)\s+(?:already\s+)?(?:approved|authorized|authorised|consented|agreed|given"
        r"\s+(?:their\s+)?(?:permission|consent))\b"
        r"|\b(?:do\s+not|don'?t|never)\s+(?:ask|check\s+with|confirm\s+with|consult|prompt|wait\s+for)\s+(?:the\s+user|them"
        r"|the\s+human)\b"
        r"|\bnever\s+ask\s+(?:the\s+user\s+)?(?:for\s+)?(?:permission|confirmation|approval)"
        r"|\b(?:instead\s+of|rather\s+than)\s+(?:what\s+)?(?:the\s+user|they)\s+(?:asked|requested|wants?)\b", _F),
        "tells the agent to act over the user's head: '{m}'", normalized=True),
    _Pat(R_PI_USER, "medium", re.compile(
        r"\bwithout\s+(?:asking|consulting|checking\s+with|confirming\s+with|prompting)\s+(?:the\s+user|them|for\s+"
        r"(?:permission|confirmation|approval))"
        r"|\byou\s+(?:have|are\s+given|are\s+granted)\s+(?:full\s+)?(?:permission|authorization|clearance)\s+to\b"
        r"|\bfrom\s+now\s+on,?\s+(?:you|always|never)\b", _F),
        "gives the agent standing orders that skip the user: '{m}'", normalized=True),
    _Pat(R_PI_ROLE, "high", re.compile(
        r"<\|(?:im_start|im_end|system|endoftext|start_header_id|eot_id)\|>|\[/?INST\]|<</?SYS>>"
        r"|</?(?:system|system[-_]prompt|admin|developer[-_]message)>"
        r"|^[ \t#>*]*(?:SYSTEM|ADMIN|DEVELOPER)\s+(?:OVERRIDE|MESSAGE|PROMPT|NOTICE|INSTRUCTIONS?)\s*:", _F | re.M),
        "chat-template or system-role marker: '{m}'", normalized=True),
    _Pat(R_PI_BYPASS, "medium", re.compile(
        r"\b(?:ignore|skip|work\s+around|disable|turn\s+off)\s+(?:the\s+|any\s+|all\s+|your\s+)?security\s+(?:checks?|warnings?"
        r"|prompts?|restrictions|rules|policy|policies)\b", _F),
        "asks to skip security checks: '{m}'", normalized=True),
    _Pat(R_PI_BYPASS, "high", re.compile(
        r"\b(?:disable|turn\s+off|switch\s+off|bypass|circumvent|evade|get\s+around|ignore|override|escape)\s+"
        r"(?:the\s+|any\s+|all\s+|your\s+|its\s+)?(?:safety|sandbox(?:ing)?|guardrails?|content\s+(?:filters?|polic(?:y|ies))"
        r"|moderation|safeguards?)\b(?!\s+(?:tests?|updates?|patch))"
        r"|--dangerously-skip-permissions|--dangerously-bypass-approvals|\bbypassPermissions\b"
        r"|\bauto-?approve\s+(?:all|every|any)\b", _F),
        "asks the agent to switch off safety checks: '{m}'", normalized=True),
    # ---- exfiltration / credential access: paths anywhere in text
    _Pat(R_EX_PATH, "high", SENSITIVE_PATH, "touches secret files: '{m}'", cap="secret"),
    _Pat(R_CA_FILE, "high", CREDENTIAL_FILE, "touches a credential store: '{m}'", cap="secret"),
    _Pat(R_CA_SEARCH, "high", SECRET_GLOB, "looks for key files: '{m}'", cap="secret"),
    _Pat(R_CA_SEARCH, "high", re.compile(
        r"\b(?:grep|rg|ag|findstr|select-string)\s+(?:-\w+\s+)*[\"']?(?:[^\n\"']*\|)?(?:password|passwd|secret|token"
        r"|api[_-]?key|private[_ ]key|BEGIN\s+\w*\s*PRIVATE)[^\n]*(?:~|\$HOME|/home|/Users|/etc|/\s|/$|\bC:\\)"
        r"|\bfind\s+(?:/|~|\$HOME|/home|/Users)\S*\s[^\n]*-i?name\s+[\"']?[^\s\"']*(?:id_rsa|\.pem|\.key|wallet|\.kdbx"
        r"|credentials|\.env)", _F),
        "searches the disk for secrets: '{m}'", cap="secret"),
    _Pat(R_CA_CLI, "high", re.compile(
        r"\bgh\s+auth\s+token\b|\bgcloud\s+auth\s+(?:application-default\s+)?print-access-token|\baws\s+configure\s+get\s+"
        r"\S*(?:secret|key|token)|\baz\s+account\s+get-access-token|\bsecurity\s+(?:find-generic-password|find-internet-password"
        r"|dump-keychain)|\bsecret-tool\s+lookup|\bkeyring\s+get\b|\bCryptUnprotectData\b|\bbrowser_cookie3\b"
        r"|\bbrowsercookie\b|\bpycookiecheat\b|\bcmdkey\s+/list|\bvaultcmd\b|\bmimikatz\b|\blazagne\b", _F),
        "extracts stored tokens or passwords: '{m}'", cap="secret"),
    _Pat(R_CA_KEYRING, "medium", re.compile(r"\bkeyring\.get_(?:password|credential)\b|\bimport\s+keyring\b"),
         "reads the system keyring: '{m}'"),
    _Pat(R_CA_ENV, "high", re.compile(
        r"(?:^[ \t]*|[;&`]\s*|\$\(\s*)(?:env|printenv|export\s+-p)\s*(?:>>?|\|)\s*(?!\s*(?:grep|head|sort|less|more|wc)\b)"
        r"|\bJSON\.stringify\(\s*process\.env\s*\)|\bObject\.(?:entries|keys|values)\(\s*process\.env\s*\)"
        r"|\bGet-ChildItem\s+env:|\bgci\s+env:", _F | re.M),
        "dumps the environment: '{m}'", cap="envdump"),
    _Pat(R_CA_EMBED, "medium", re.compile(
        r"\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b|\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}\b|\bxox[baprs]-[\w-]{10,}"
        r"|-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
         "embedded secret: '{m}'"),
    _Pat(R_EX_SHELL, "critical", re.compile(
        _NET_CMD + r"\b[^\n]*?(?:\$\(\s*(?:env|printenv|set|cat\s+[^)]*(?:\.ssh|\.aws|\.netrc|\.env|credentials))\b|`(?:env"
        r"|printenv)`|@\s*[~$\w/.{}-]*(?:\.ssh|\.aws|\.netrc"
        r"|\.env\b|credentials|\.git-credentials|id_rsa)|--data-binary\s+@-|-d\s+@-|-T\s+\S*(?:\.ssh|\.aws|\.env|id_rsa))"
        r"|\b(?:env|printenv|cat\s+[^\n|]*(?:\.ssh/|\.aws/|\.netrc|\.env\b|\.git-credentials|id_rsa))[^\n|]*\|\s*(?:base64"
        r"\s*\|\s*)?(?:curl|wget|nc|ncat|netcat|socat)\b", _F),
        "sends secrets over the network: '{m}'", cap="net"),
    _Pat(R_EX_DEST, "medium", re.compile(
        r"\b(?:webhook\.site|requestbin\.\w+|pipedream\.net|[\w-]+\.ngrok(?:-free)?\.(?:io|app)|hooks\.slack\.com/services"
        r"|discord(?:app)?\.com/api/webhooks|api\.telegram\.org/bot|pastebin\.com|paste\.ee|transfer\.sh|[\w-]+\.oast\."
        r"(?:fun|pro|live|site|online|me)|interact\.sh|burpcollaborator\.net|[\w-]+\.onion)\b"
        r"|https?://(?!127\.|0\.0\.0\.0|10\.|192\.168\.)\d{1,3}(?:\.\d{1,3}){3}\b", _F),
        "posts to a drop site or bare IP: '{m}'", cap="net"),
    _Pat(R_EX_DEST, "high", re.compile(
        r"!\[[^\]\n]*\]\(\s*https?://[^)\s]*?(?:\{[A-Za-z][\w '.,-]{2,}\}|<[A-Za-z][\w '.,-]{2,}>|\$\{?[A-Za-z_]\w*|%s)"
        r"|<img\b[^>]*\bsrc\s*=\s*[\"']https?://[^\"']*?(?:\{[A-Za-z][\w '.,-]{2,}\}|\$\{?[A-Za-z_]\w*)", _F),
        "image URL with a placeholder for data: rendering it sends that data out: '{m}'", cap="net"),
    # ---- dangerous execution in commands (any text: scripts and instructions)
    _Pat(R_DE_PIPE, "critical", re.compile(
        r"\b(?:curl|wget|fetch|iwr|irm|Invoke-WebRequest|Invoke-RestMethod|(?:Net\.)?WebClient)\b[^\n]*?\|\s*(?:" + _SHELLS
        + r"|" + _INTERP + r")"
        r"|\b(?:ba|z)?sh\s+<\(\s*(?:curl|wget)\b|\b(?:source|\.)\s+<\(\s*(?:curl|wget)\b"
        r"|\beval\s+[\"']?\$\(\s*(?:curl|wget)\b|\b(?:ba|z)?sh\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"
        r"|\bpython[23]?\s+(?:-c\s+[\"']?\$\(|<\()\s*(?:curl|wget)\b|\biex\s*\(\s*(?:New-Object\s+Net\.WebClient|iwr|irm)"
        r"|\bDownloadString\s*\(", _F),
        "downloads and runs code: '{m}'", cap="net"),
    _Pat(R_DE_PIPE, "critical", re.compile(
        r"\b(?:base64\s+(?:-d|--decode|-D)|xxd\s+-r|openssl\s+(?:base64|enc)\s+-d)[^\n|]*\|\s*(?:" + _SHELLS + r"|"
        + _INTERP + r")|\|\s*base64\s+(?:-d|--decode|-D)\s*\|\s*(?:" + _SHELLS + r"|" + _INTERP + r")"
        r"|-EncodedCommand\s+[A-Za-z0-9+/=]{16,}|\bpowershell(?:\.exe)?\s+-e(?:nc)?\s+[A-Za-z0-9+/=]{16,}", _F),
        "decodes and runs a hidden command: '{m}'"),
    _Pat(R_DE_REVSHELL, "critical", re.compile(
        r"/dev/(?:tcp|udp)/|\b(?:nc|ncat|netcat)\b[^\n]*\s-[ec]\s+(?:/bin/)?(?:ba)?sh\b|\bsocat\b[^\n]*\bexec:"
        r"|\bmkfifo\b[^\n]*\|\s*(?:/bin/)?(?:ba)?sh\b[^\n]*\b(?:nc|ncat)\b|\bpty\.spawn\(\s*[\"'](?:/bin/)?(?:ba)?sh", _F),
        "opens a remote shell: '{m}'", cap="net"),
    _Pat(R_DE_DESTROY, "high", re.compile(
        r"\brm\s+-[a-z]*r[a-z]*f?[a-z]*\s+(?:--no-preserve-root\s+)?(?:/|~|\$HOME|/\*|~/\*)(?:\s|$|[;&|])"
        r"|\bmkfs(?:\.\w+)?\s+/dev/|\bdd\s+if=[^\n]*of=/dev/(?:sd|nvme|disk|hd)|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:", _F),
        "destructive command: '{m}'"),
    _Pat(R_DE_NATIVE, "high", re.compile(
        r"\bVirtualAlloc(?:Ex)?\b|\bPROT_EXEC\b|\bmprotect\s*\(|\bctypes\.(?:windll|cdll)\.\w+\.(?:VirtualAlloc|CreateThread)"
        r"|\bCreateRemoteThread\b|\bWriteProcessMemory\b"), "loads machine code into memory: '{m}'"),
    _Pat(R_OB_ANTIFORENSIC, "high", re.compile(
        r"\bunset\s+HISTFILE\b|\bhistory\s+-c\b|\bHISTSIZE=0\b|\bexport\s+HISTFILE=/dev/null|\bset\s+\+o\s+history"
        r"|\bshred\s+[^\n]*(?:\.bash_history|/var/log)|>\s*/var/log/(?:auth|syslog|secure)", _F),
        "erases traces: '{m}'"),
    _Pat(R_DE_PIPE, "medium", re.compile(
        r"\b(?:download|fetch|grab|get|pull)\b[^.\n]{0,80}?https?://\S+\.(?:sh|py|exe|bin|ps1|pl|rb|elf|dll|so|msi|jar)\b"
        r"[^.\n]{0,80}?\b(?:run|execute|launch|start|source|invoke)\b"
        r"|\bpip3?\s+install\s+[^\n]*(?:--index-url|--extra-index-url|-i)\s+http://|\bpip3?\s+install\s+https?://\S+", _F),
        "fetches code from the network to run it: '{m}'", cap="net"),
    # ---- persistence
    _Pat(R_PE_CRON, "high", re.compile(
        r"\|\s*crontab\s+-(?:\s|$)|\bcrontab\s+(?:-e\b|-r\b|[\"']?[\w./~$-]+\.(?:txt|cron|tmp)\b|/tmp/)"
        r"|(?:>>?|\btee\s+(?:-a\s+)?)\s*[\"']?(?:/etc/cron|/var/spool/cron)|@reboot\b"
        r"|\bschtasks(?:\.exe)?\s+/create\b|\bRegister-ScheduledTask\b", _F | re.M),
        "schedules a job: '{m}'"),
    _Pat(R_PE_PROFILE, "high", re.compile(
        r"(?:>>?|\btee\s+(?:-a\s+)?)\s*[\"']?" + _HOME + r"/?\.(?:bashrc|bash_profile|bash_login|profile|zshrc|zprofile"
        r"|zshenv|zlogin|config/fish/config\.fish)\b", _F),
        "writes a shell start-up file: '{m}'"),
    _Pat(R_PE_PROFILE, "high", re.compile(
        r"\b(?:append|add|insert|write|put)\b[^.\n]{0,60}?\b(?:to|into|in)\s+(?:your\s+|the\s+user'?s\s+)?`?" + _HOME
        + r"/?\.(?:bashrc|zshrc|bash_profile|profile)\b`?[^.\n]{0,80}?\b(?:curl|wget|python|bash|sh|nohup|eval|alias\s+"
        r"(?:sudo|ls|cd|git|ssh)|\.invalid|https?://|scripts/)", _F),
        "makes itself run from a shell start-up file: '{m}'", normalized=True),
    _Pat(R_PE_SERVICE, "high", re.compile(
        r"\.config/systemd/user/|/etc/systemd/system/|\bsystemctl\s+(?:--user\s+)?(?:enable|daemon-reload)\b"
        r"|Library/Launch(?:Agents|Daemons)\b|\blaunchctl\s+(?:load|bootstrap|submit|enable)\b"
        r"|CurrentVersion\\+Run(?:Once)?\b|\breg(?:\.exe)?\s+add\s+[^\n]*\\Run\b|\.config/autostart/", _F),
        "installs a service or start-up entry: '{m}'"),
    _Pat(R_PE_SSH, "critical", re.compile(
        r"(?:>>?|\btee\s+(?:-a\s+)?)\s*[\"']?[^\s\"']*authorized_keys\b|\bssh-copy-id\b", _F),
        "adds an SSH key for remote access: '{m}'"),
    _Pat(R_PE_AGENT, "high", re.compile(
        r"(?:>>?|\btee\s+(?:-a\s+)?|\b(?:append|add|write|insert|prepend|modify|edit|update|overwrite)\b[^.\n]{0,60}?"
        r"\b(?:to|into|in)\s+(?:the\s+|your\s+|the\s+user'?s\s+)?)\s*`?[\"']?(?:" + _HOME + r"/)?"
        r"(?:\.claude/(?:settings[\w.]*\.json|CLAUDE\.md|hooks)|(?:^|[\s/`\"'])(?:CLAUDE|AGENTS|GEMINI)\.md\b|\.cursorrules\b"
        r"|\.cursor/(?:rules|mcp\.json)|claude_desktop_config\.json|\.codex/(?:config|AGENTS)|\.gemini/settings"
        r"|\.vscode/(?:settings|mcp)\.json|mcp\.json\b)", _F | re.M),
        "writes an agent's configuration or memory: '{m}'", normalized=True),
    _Pat(R_PE_PYSTART, "high", re.compile(
        r"(?:>>?|\btee\s+(?:-a\s+)?|\bcp\s+\S+\s+)\s*[\"']?[^\s\"']*(?:(?:site|user)customize\.py|\.pth)\b"
        r"|site-packages/[^\s'\"]*\.pth\b", _F),
        "installs a Python start-up hook: '{m}'"),
    # ---- JavaScript
    _Pat(R_DE_EXEC, "critical", re.compile(
        r"\b(?:eval|Function)\s*\(\s*(?:atob|Buffer\.from|decodeURIComponent|unescape|String\.fromCharCode)\s*\(", _F),
        "runs decoded JavaScript: '{m}'", kinds=frozenset({"js", "markdown", "text"})),
    _Pat(R_DE_SHELL, "medium", re.compile(r"\brequire\(\s*['\"]child_process['\"]\s*\)|\bchild_process\.(?:exec|execSync)\b"),
         "runs shell commands from JavaScript: '{m}'", kinds=frozenset({"js"})),
]

# the capability "net" from plain mentions of network tools in commands (for skill-level correlation only)
_NET_TEXT = re.compile(r"(?:^|[\s`$(|;&])(?:curl|wget|nc|ncat|Invoke-WebRequest|iwr|scp|rsync)\s+\S"
                       r"|\brequests\.(?:post|put|get|patch)\(|\burlopen\(|\bfetch\(\s*[`'\"]https?:|\bhttpx\.\w+\(", re.M)
_DOWNLOAD_TO_FILE = re.compile(r"\b(?:curl\b[^\n]*\s-[a-zA-Z]*[oO]\b|wget\b|Invoke-WebRequest\b[^\n]*-OutFile|"
                               r"urlretrieve\()", _F)
_CHMOD_X = re.compile(r"\bchmod\s+(?:[ugoa]*\+[rwx]*x|[0-7]?[0-7]*[1357][0-7]{0,2}\b)", _F)

_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n|\n\s*(?:\d+[.)]|[-*+])\s")
_SEND_RE = re.compile(r"\b" + _SENDV + r"\b", _F)
_SECRETS_RE = re.compile(_SECRETS, _F)
_DEST_RE = re.compile(_DEST, _F)
_NEG_RE = re.compile(r"\b(?:never|not|no|n't|without|nor|won'?t|don'?t|doesn'?t|cannot|can'?t)\b[^.\n]{0,25}$", _F)

_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])(?:[A-Za-z0-9+/]{4}){20,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
                  r"(?![A-Za-z0-9+/=_-])")
_B64URL = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9_-]{100,}={0,2}(?![A-Za-z0-9+/=_-])")
_B64_LINES = re.compile(r"(?:^[ \t]*[\"']?[A-Za-z0-9+/]{40,}={0,2}[\"']?[ \t]*[,+\\]?[ \t]*\n){3,}", re.M)
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){65,}(?![0-9A-Fa-f])")
_ESC = re.compile(r"(?:\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\[0-7]{3}){8,}")
_DATA_URI = re.compile(r"data:(?:image|font)/[\w.+-]+;base64,$")

_HTML_COMMENT = re.compile(r"<!--(.*?)(?:-->|\Z)", re.S)
_MD_COMMENT = re.compile(r"^\[(?://|comment|#)\]:\s*(?:#|<>)\s*(?:\((.*?)\)|\"(.*?)\")\s*$", re.M)
_CSS_HIDDEN = re.compile(r"<(\w+)\b[^>]*?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em)?\b"
                         r"|opacity\s*:\s*0(?:\.0+)?\b|\shidden(?:\s|>|=)|color\s*:\s*(?:white|#fff(?:fff)?\b|transparent))"
                         r"[^>]*>(.*?)</\1\s*>", _F | re.S)
_INSTRUCTIONY = re.compile(
    r"\b(?:agent|assistant|AI|claude|gpt|LLM|chatbot|you\s+(?:must|should|will|need\s+to|have\s+to|are\s+to)|the\s+user"
    r"|ignore|secret|credentials?|api[\s_-]?keys?|passwords?|curl|wget|execute|exfiltrat\w*|upload)\b|\.ssh\b|\.aws\b"
    r"|\.env\b|\brun\s+`", _F)
_BENIGN_COMMENT = re.compile(r"^\s*(?:markdownlint|prettier|eslint|vale|textlint|cspell|toc|end\s*toc|omit\s+in\s+toc"
                             r"|todo|fixme|note|generated|auto-?generated|do\s+not\s+edit|begin|end|spell)\b", _F)
_CODE_FENCE = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*(?P<lang>[\w+.-]*)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                         re.M | re.S)

# ---- Unicode
_TAGS_RE = re.compile("[\U000E0000-\U000E007F]+")
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ZW_CHARS = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u115f\u1160\u3164\uffa0\u034f\u17b4\u17b5"
_ZW_RE = re.compile("[" + _ZW_CHARS + "]+")
_VS_RE = re.compile("[\ufe00-\ufe0f\U000E0100-\U000E01EF]{4,}")
_INVISIBLE = frozenset(_ZW_CHARS + "\u00ad")
_CONFUSABLE = str.maketrans({
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x",
    "\u0456": "i", "\u0458": "j", "\u0455": "s", "\u0501": "d", "\u0261": "g", "\u04bb": "h", "\u0410": "A",
    "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M", "\u041d": "H", "\u041e": "O", "\u0420": "P",
    "\u0421": "C", "\u0422": "T", "\u0425": "X", "\u0406": "I", "\u03bf": "o", "\u03b1": "a", "\u039f": "O",
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0397": "H", "\u039a": "K", "\u039c": "M", "\u039d": "N",
    "\u03a1": "P", "\u03a4": "T", "\u03a7": "X", "\u03a5": "Y", "\u0399": "I", "\u0131": "i",
})
_HOMOGLYPH_IN_WORD = re.compile("[A-Za-z][\u0400-\u04ff\u0370-\u03ff]|[\u0400-\u04ff\u0370-\u03ff][A-Za-z]")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")

# ---- file kinds
_EXT_KIND = {
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".html": "markdown", ".htm": "markdown",
    ".txt": "text", ".rst": "text", ".py": "python", ".pyw": "python", ".pyi": "python",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell", ".fish": "shell", ".ps1": "shell",
    ".psm1": "shell", ".bat": "shell", ".cmd": "shell", ".command": "shell",
    ".js": "js", ".mjs": "js", ".cjs": "js", ".ts": "js", ".tsx": "js", ".jsx": "js",
}
_EXEC_EXT = frozenset({".exe", ".dll", ".so", ".dylib", ".pyd", ".node", ".class", ".msi", ".com", ".scr",
                       ".o", ".a", ".ko", ".elf", ".apk", ".deb", ".rpm", ".dex", ".wasm", ".pyc", ".pyo", ".jar",
                       ".whl", ".egg", ".app", ".out"})
_ARCHIVE_EXT = frozenset({".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".lz", ".cab"})
_ASSET_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF", b"\x00\x00\x01\x00", b"wOFF", b"wOF2",
                b"OTTO", b"\x00\x01\x00\x00", b"BM", b"II*\x00", b"MM\x00*", b"SQLite format 3\x00", b"ID3", b"fLaC",
                b"OggS", b"\x1aE\xdf\xa3")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh", b"7z\xbc\xaf\x27\x1c", b"Rar!",
                  b"\x28\xb5\x2f\xfd", b"MSCF")
_COMPRESSED_MAGIC = (b"\x78\x9c", b"\x78\x01", b"\x78\xda", b"\x78\x5e", b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh",
                     b"\x5d\x00\x00")


def _exec_magic(data: bytes) -> tuple[str, str] | None:
    """(what, severity) when ``data`` starts like an executable or compiled code."""
    head = data[:4]
    if head == b"\x7fELF":
        return "an ELF executable or shared library", "critical"
    if head in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "a Mach-O executable", "critical"
    if head == b"\xca\xfe\xba\xbe":
        return "a universal Mach-O binary or Java class", "high"
    if data[:2] == b"MZ":
        off = int.from_bytes(data[0x3C:0x40], "little") if len(data) >= 0x40 else -1
        if 0 <= off < len(data) - 4 and data[off:off + 4] == b"PE\x00\x00":
            return "a Windows PE executable", "critical"
        return "a DOS/Windows executable stub", "high"
    if head == b"\x00asm":
        return "a WebAssembly module", "high"
    if head == b"dex\n":
        return "an Android DEX file", "high"
    if len(data) >= 16 and data[2:4] == b"\r\n" and data[:2] != b"\r\n" and data[4:8].count(b"\x00") < 4 \
            and int.from_bytes(data[:2], "little") in range(3000, 4000):
        return "compiled Python bytecode", "high"
    return None


# ---------------------------------------------------------------------------------------------- scan state

class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)


@dataclass
class _Where:
    """Where derived text (decoded, folded) came from: findings in it land on this line."""

    line: int
    what: str


@dataclass
class _Ctx:
    findings: dict[tuple[str, str, int], Finding] = field(default_factory=dict)
    per_rule: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    caps: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    files: int = 0

    def add(self, rule: str, severity: str, file: str, line: int, message: str) -> None:
        key = (rule, file, line)
        old = self.findings.get(key)
        if old is not None:
            if _RANK[severity] > _RANK[old.severity]:
                self.findings[key] = Finding(old.category, severity, file, line, message, old.fix, rule)
            return
        if self.per_rule[(rule, file)] >= MAX_PER_RULE:
            return
        self.per_rule[(rule, file)] += 1
        r = RULES[rule]
        self.findings[key] = Finding(r.category, severity, file, line, message, r.fix, rule)

    def has(self, rule: str, file: str, line: int) -> bool:
        return (rule, file, line) in self.findings

    def cap(self, name: str, file: str, line: int) -> None:
        if len(self.caps[name]) < 50:
            self.caps[name].append((file, line))


def _show(text: str, limit: int = 80) -> str:
    """A finding's quote: one line, invisible characters made visible, cut to ``limit``."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch in "\n\r\t":
            out.append(" ")
        elif ch in _INVISIBLE or 0xE0000 <= o <= 0xE01EF or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            out.append(f"<U+{o:04X}>")
        elif o < 32 or o == 127:
            out.append(f"\\x{o:02x}")
        else:
            out.append(ch)
    s = re.sub(r"\s+", " ", "".join(out)).strip()
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _normalize(text: str) -> tuple[str, list[int] | None]:
    """Text for prompt-injection matching: invisible characters dropped, look-alikes and NFKC forms mapped to
    ASCII; with the map from each normalized position back to the original one (None when unchanged)."""
    if text.isascii():
        return text, None
    out: list[str] = []
    back: list[int] = []
    for i, ch in enumerate(text):
        o = ord(ch)
        if o < 128:
            out.append(ch)
            back.append(i)
            continue
        if ch in _INVISIBLE or 0xE0000 <= o <= 0xE01EF or 0xFE00 <= o <= 0xFE0F or 0x202A <= o <= 0x202E \
                or 0x2066 <= o <= 0x2069:
            continue
        n = ch.translate(_CONFUSABLE)
        if n == ch:
            n = unicodedata.normalize("NFKC", ch)
            if n in ("\u2019", "\u2018"):
                n = "'"
        for c in n:
            out.append(c)
            back.append(i)
    back.append(len(text))
    return "".join(out), back


def _printable_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    sample = data[:4096]
    good = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return good / len(sample)


def _bounded_decompress(data: bytes) -> bytes | None:
    """Decompress zlib/gzip/xz/lzma/bz2 data, never producing more than MAX_DECODED bytes."""
    try:
        if data[:2] in (b"\x78\x9c", b"\x78\x01", b"\x78\xda", b"\x78\x5e"):
            return zlib.decompressobj().decompress(data, MAX_DECODED)
        if data[:2] == b"\x1f\x8b":
            return zlib.decompressobj(wbits=31).decompress(data, MAX_DECODED)
        if data[:6] == b"\xfd7zXZ\x00" or data[:3] == b"\x5d\x00\x00":
            return lzma.LZMADecompressor().decompress(data, max_length=MAX_DECODED)
        if data[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(data, max_length=MAX_DECODED)
        return zlib.decompressobj(wbits=-15).decompress(data, MAX_DECODED)  # raw deflate
    except (zlib.error, lzma.LZMAError, OSError, ValueError, EOFError):
        return None


_CODEY = re.compile(r"\bimport\s+\w|\b(?:exec|eval|system|popen|subprocess|socket|urlopen|requests\.|__import__)\b"
                    r"|/bin/(?:ba)?sh|\bcurl\b|\bwget\b|https?://|\bchmod\b|\bpowershell\b|\bdef\s+\w+\(|\bos\.\w+", _F)


# ---------------------------------------------------------------------------------------------- text scanning

def _scan_text(ctx: _Ctx, rel: str, text: str, kind: str, *, depth: int = 0, where: _Where | None = None) -> None:
    """Every text check over ``text``. With ``where`` the text is derived (decoded, folded) and every finding
    lands on ``where.line`` with ``where.what`` in its message."""
    lines = _Lines(text) if where is None else None

    def at(pos: int) -> int:
        return where.line if where is not None else lines.line(pos) if lines is not None else 0

    def say(msg: str) -> str:
        return f"{msg} ({where.what})" if where is not None else msg

    _hidden_unicode(ctx, rel, text, kind, at, say, depth)
    norm, back = _normalize(text)
    for pat in _PATTERNS:
        if pat.kinds is not None and kind not in pat.kinds:
            continue
        src = norm if pat.normalized else text
        for n, m in enumerate(pat.regex.finditer(src)):
            if n >= MAX_PER_RULE:
                break
            pos = back[m.start()] if (pat.normalized and back is not None) else m.start()
            if kind == "markdown" and pat.rule in (R_DE_PIPE, R_EX_SHELL) and _table_row(text, pos):
                continue
            if pat.rule == R_PI_OVERRIDE and _mentioned_not_used(src, m.start(), m.end()):
                ctx.add(pat.rule, "medium", rel, at(pos), say(pat.message.format(m=_show(m.group(0)))
                                                              + " (quoted as an example)"))
                continue
            ctx.add(pat.rule, pat.severity, rel, at(pos), say(pat.message.format(m=_show(m.group(0)))))
            if pat.cap:
                ctx.cap(pat.cap, rel, at(pos))
    for m in _NET_TEXT.finditer(text):
        ctx.cap("net", rel, at(m.start()))
        break
    d = _DOWNLOAD_TO_FILE.search(text)
    if d:
        ctx.cap("download", rel, at(d.start()))
    c = _CHMOD_X.search(text)
    if c:
        ctx.cap("chmodx", rel, at(c.start()))
    _polite_exfiltration(ctx, rel, norm, back, at, say)
    if kind == "markdown":
        _hidden_markup(ctx, rel, text, at, say, depth)
    _blobs(ctx, rel, text, kind, at, say, depth)
    if kind == "markdown" and where is None:
        for m in _CODE_FENCE.finditer(text):
            lang = m.group("lang").lower()
            body = m.group("body")
            start = lines.line(m.start("body")) if lines is not None else 1
            if lang in ("python", "py", "python3", "pycon"):
                _scan_python(ctx, rel, body, line0=start, depth=depth, siblings={})


def _table_row(text: str, pos: int) -> bool:
    """The line holding ``pos`` is a markdown table row (cells separated by '|', not a shell pipe)."""
    start = text.rfind("\n", 0, pos) + 1
    return text[start:pos + 1].lstrip().startswith("|")


def _mentioned_not_used(src: str, start: int, end: int) -> bool:
    """An injection phrase quoted as an example (in quotes or backticks, with 'such as', 'detect', ...) near it."""
    line_start = src.rfind("\n", 0, start) + 1
    line_end = src.find("\n", end)
    line = src[line_start:line_end if line_end >= 0 else len(src)]
    before = src[max(line_start, start - 2):start]
    after = src[end:end + 2]
    quoted = any(q in before for q in "\"'`\u201c") or any(q in after for q in "\"'`\u201d")
    meta = re.search(r"\b(?:such\s+as|e\.g\.|for\s+example|like|detects?|flags?|filters?|blocks?|rejects?|patterns?"
                     r"|phrases?|strings?|examples?|attacks?|classif\w+|matches|contains?)\b", line, _F)
    return bool(quoted and meta)


def _polite_exfiltration(ctx: _Ctx, rel: str, norm: str, back: list[int] | None, at: Any, say: Any) -> None:
    """A request to send secrets somewhere, however it is phrased: a sending verb, a secret and a destination
    in the same sentence (or the next two), not negated."""
    count = 0
    for m in _SEND_RE.finditer(norm):
        start = max(norm.rfind(".", 0, m.start()), norm.rfind("\n\n", 0, m.start()), m.start() - 300) + 1
        if _NEG_RE.search(norm[start:m.start()]):
            continue
        end = _SENTENCE_END.search(norm, m.end(), min(len(norm), m.end() + 300))
        window = norm[start:end.start() if end else min(len(norm), m.end() + 300)]
        verb_end = m.end() - start
        dest = _DEST_RE.search(window, verb_end)
        if dest is None:
            continue
        passive = re.search(r"\b(?:is|are|be|been|being|get|gets)\s+(?:\w+\s+)?$", norm[start:m.start()], _F)
        sec = _SECRETS_RE.search(window, 0 if passive else verb_end, dest.end())
        if sec and not _NEG_RE.search(window[:max(0, sec.start())][-40:]):
            pos = back[m.start()] if back is not None else m.start()
            ctx.add(R_PI_SEND, "critical", rel, at(pos),
                    say(f"asks for {_show(sec.group(0), 40)} to be sent to {_show(dest.group(0), 50)}"))
            ctx.cap("secret", rel, at(pos))
            count += 1
            if count >= 3:
                return


def _hidden_unicode(ctx: _Ctx, rel: str, text: str, kind: str, at: Any, say: Any, depth: int) -> None:
    if text.isascii():
        return
    for m in _TAGS_RE.finditer(text):
        run = m.group(0)
        if m.start() > 0 and text[m.start() - 1] == "\U0001f3f4" and len(run) <= 8 and run.endswith("\U000e007f"):
            continue  # subdivision flag emoji (England, Scotland, Wales)
        hidden = "".join(chr(ord(c) - 0xE0000) for c in run if 0x20 <= ord(c) - 0xE0000 < 0x7F)
        ctx.add(R_HT_TAGS, "critical", rel, at(m.start()),
                say(f"{len(run)} invisible tag characters spell: '{_show(hidden)}'"))
        if hidden.strip() and depth < MAX_DEPTH:
            _scan_text(ctx, rel, hidden, "text", depth=depth + 1, where=_Where(at(m.start()), "in hidden tag characters"))
    bidi = list(_BIDI_RE.finditer(text))
    if bidi:
        sev = "medium" if (kind in ("markdown", "text") and _RTL.search(text)) else "high"
        ctx.add(R_HT_BIDI, sev, rel, at(bidi[0].start()),
                say(f"{len(bidi)} bidirectional override character(s) (first U+{ord(bidi[0].group(0)):04X})"))
    split_words = 0
    first_split = -1
    for m in _ZW_RE.finditer(text):
        run = m.group(0)
        s, e = m.start(), m.end()
        if run == "\ufeff" and s == 0:
            continue
        prev = text[s - 1] if s > 0 else " "
        nxt = text[e] if e < len(text) else " "
        if len(run) == 1 and run in "\u200d\u200c" and not (prev.isascii() and nxt.isascii()):
            continue  # emoji sequences, Persian/Indic joiners
        if len(run) >= 3:
            hidden = _decode_zero_width(run)
            extra = f", decoding to '{_show(hidden)}'" if hidden else ""
            ctx.add(R_HT_ZW, "high", rel, at(s), say(f"run of {len(run)} zero-width characters{extra}"))
            if hidden and depth < MAX_DEPTH:
                _scan_text(ctx, rel, hidden, "text", depth=depth + 1, where=_Where(at(s), "in zero-width characters"))
        elif prev.isalnum() and nxt.isalnum():
            split_words += 1
            if first_split < 0:
                first_split = s
    if split_words:
        ctx.add(R_HT_ZW, "high" if split_words >= 3 else "medium", rel, at(first_split),
                say(f"{split_words} zero-width character(s) inside words (splits words to evade filters)"))
    for m in _VS_RE.finditer(text):
        data = bytes((ord(c) - 0xFE00) if ord(c) < 0xFE10 else (ord(c) - 0xE0100 + 16) for c in m.group(0))
        hidden = data.decode("utf-8", "replace")
        ctx.add(R_HT_VS, "high", rel, at(m.start()),
                say(f"{len(m.group(0))} variation selectors carry bytes: '{_show(hidden)}'"))
        if depth < MAX_DEPTH and _printable_ratio(data) > 0.8:
            _scan_text(ctx, rel, hidden, "text", depth=depth + 1, where=_Where(at(m.start()), "in variation selectors"))
    homo = _HOMOGLYPH_IN_WORD.search(text)
    if homo and homo.group(0).translate(_CONFUSABLE) != homo.group(0):
        ctx.add(R_HT_HOMO, "medium", rel, at(homo.start()),
                say(f"look-alike letters from another script inside a Latin word near '{_show(text[max(0, homo.start() - 10):homo.end() + 10])}'"))


def _decode_zero_width(run: str) -> str:
    """Zero-width text steganography: two distinct characters as bits, 8 per byte."""
    chars = sorted(set(run))
    if len(chars) != 2 or len(run) < 16:
        return ""
    for zero in (chars[0], chars[1]):
        bits = "".join("0" if c == zero else "1" for c in run)
        data = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) - 7, 8))
        if _printable_ratio(data) > 0.9:
            return data.decode("ascii", "replace")
    return ""


def _hidden_markup(ctx: _Ctx, rel: str, text: str, at: Any, say: Any, depth: int) -> None:
    def judge(content: str, pos: int, what: str) -> None:
        body = content.strip()
        if not body:
            return
        instructiony = bool(_INSTRUCTIONY.search(body)) and not (_BENIGN_COMMENT.match(body) and len(body) < 120)
        sev = "high" if instructiony else "medium" if len(body) > 300 else "low"
        ctx.add(R_HT_COMMENT if "comment" in what else R_HT_CSS, sev, rel, at(pos),
                say(f"{what} hides text from the rendered page: '{_show(body, 100)}'"))
        if depth < MAX_DEPTH:
            _scan_text(ctx, rel, body, "text", depth=depth + 1, where=_Where(at(pos), f"inside a {what}"))

    for m in _HTML_COMMENT.finditer(text):
        judge(m.group(1), m.start(), "HTML comment")
    for m in _MD_COMMENT.finditer(text):
        judge(m.group(1) or m.group(2) or "", m.start(), "markdown comment")
    for m in _CSS_HIDDEN.finditer(text):
        judge(re.sub(r"<[^>]+>", " ", m.group(2)), m.start(), "hidden HTML element")


def _blobs(ctx: _Ctx, rel: str, text: str, kind: str, at: Any, say: Any, depth: int) -> None:
    seen = 0
    candidates: list[tuple[int, str, str]] = []
    for m in _B64.finditer(text):
        candidates.append((m.start(), "base64", m.group(0)))
    for m in _B64URL.finditer(text):
        if not _B64.fullmatch(m.group(0)) and any(c in m.group(0) for c in "-_"):
            candidates.append((m.start(), "base64", m.group(0)))
    for m in _B64_LINES.finditer(text):
        joined = re.sub(r"[\s\"',+\\]", "", m.group(0))
        candidates.append((m.start(), "base64", joined))
    for m in _HEX.finditer(text):
        candidates.append((m.start(), "hex", m.group(0)))
    for m in _ESC.finditer(text):
        candidates.append((m.start(), "escapes", m.group(0)))
    done: set[int] = set()
    for pos, enc, blob in candidates:
        if seen >= 6:
            break
        if pos in done:
            continue
        done.add(pos)
        if enc == "base64" and _DATA_URI.search(text[max(0, pos - 60):pos]):
            continue
        data = _decode_blob(enc, blob)
        if data is None:
            if enc == "base64" and len(blob) >= 200 and not re.fullmatch(r"[A-Za-z]+|[a-z0-9]+|[A-Z0-9]+", blob):
                ctx.add(R_OB_BLOB, "medium" if len(blob) >= 2000 else "low", rel, at(pos),
                        say(f"{len(blob)}-character encoded-looking string"))
            continue
        if enc == "escapes" and kind == "python" and _printable_ratio(data) < 0.5 and len(data) < 64:
            continue
        seen += 1
        _judge_payload(ctx, rel, data, f"{enc} blob", len(blob), at(pos), say, depth)


def _decode_blob(enc: str, blob: str) -> bytes | None:
    try:
        if enc == "hex":
            return bytes.fromhex(blob)
        if enc == "escapes":
            codes = [int(x[1:], 16) if x[0] in "xu" else int(x, 8)
                     for x in re.findall(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|[0-7]{3})", blob)]
            return bytes(c for c in codes if c < 256)
        s = blob.rstrip("=")
        if re.fullmatch(r"[A-Za-z]+", s) or re.fullmatch(r"[0-9a-f]+", s):
            return None  # a long word or hex digest, not base64
        pad = "=" * (-len(s) % 4)
        if "-" in s or "_" in s:
            return base64.urlsafe_b64decode(s + pad)
        return base64.b64decode(s + pad, validate=True)
    except (binascii.Error, ValueError):
        return None


def _judge_payload(ctx: _Ctx, rel: str, data: bytes, what: str, size: int, line: int, say: Any, depth: int) -> None:
    """Decoded bytes: an executable, compressed data, code or text with findings of its own, or noise."""
    magic = _exec_magic(data)
    if magic:
        ctx.add(R_BB_EXEC, "critical", rel, line, say(f"{what} decodes to {magic[0]}"))
        return
    if data[:2] in (b"\x78\x9c", b"\x78\x01", b"\x78\xda") or data.startswith(_COMPRESSED_MAGIC[4:]):
        inner = _bounded_decompress(data)
        if inner is not None:
            ctx.add(R_OB_DECODE, "high", rel, line, say(f"{what} holds a compressed payload ({len(inner)} bytes unpacked)"))
            if depth < MAX_DEPTH:
                _judge_payload(ctx, rel, inner, f"compressed data in a {what}", len(inner), line, say, depth + 1)
            return
    if _printable_ratio(data) > 0.85:
        decoded = data.decode("utf-8", "replace")
        before = len(ctx.findings)
        if depth < MAX_DEPTH:
            _scan_text(ctx, rel, decoded, "text", depth=depth + 1, where=_Where(line, f"inside a {what}"))
            if _looks_python(decoded):
                _scan_python(ctx, rel, decoded, line0=line, depth=depth + 1, siblings={}, derived=f"inside a {what}")
        worse = any(_RANK[f.severity] >= _RANK["high"] for f in list(ctx.findings.values())[before:])
        if worse or _CODEY.search(decoded):
            ctx.add(R_OB_DECODE, "high", rel, line, say(f"{what} hides code or commands: '{_show(decoded, 70)}'"))
        elif size >= 200:
            ctx.add(R_OB_BLOB, "low", rel, line, say(f"{what} decodes to text: '{_show(decoded, 60)}'"))
        return
    if data.startswith(_ASSET_MAGIC):
        return
    if size >= 400:
        ctx.add(R_OB_BLOB, "medium" if size >= 2000 else "low", rel, line,
                say(f"{size}-character {what} of binary data"))


def _looks_python(text: str) -> bool:
    return bool(re.search(r"^\s*(?:import\s+\w|from\s+\w+\s+import|def\s+\w+\(|exec\(|eval\(|__import__\()", text, re.M))


# ---------------------------------------------------------------------------------------------- Python

_BUILTIN_NAMES = frozenset({"eval", "exec", "compile", "__import__", "getattr", "open", "globals", "locals", "vars",
                            "chr", "ord", "bytes", "bytearray", "str", "list", "tuple", "map", "reversed", "dict",
                            "print", "repr", "setattr", "input", "breakpoint", "memoryview", "format", "sorted",
                            "iter", "next", "zip", "range", "len", "int", "hex", "bin", "type"})
_EXEC = frozenset({"builtins.eval", "builtins.exec", "builtins.compile", "code.interact", "runpy.run_path",
                   "runpy.run_module"})
_SHELL_FUNCS = frozenset({"os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4", "subprocess.getoutput",
                          "subprocess.getstatusoutput", "commands.getoutput", "commands.getstatusoutput",
                          "asyncio.create_subprocess_shell", "platform.popen"})
_PROC_FUNCS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                         "subprocess.Popen", "asyncio.create_subprocess_exec", "pty.spawn", "os.posix_spawn",
                         "os.posix_spawnp"} | {f"os.exec{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")}
                        | {f"os.spawn{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")})
_DESER = frozenset({"pickle.loads", "pickle.load", "pickle.Unpickler", "cPickle.loads", "cPickle.load", "_pickle.loads",
                    "_pickle.load", "dill.loads", "dill.load", "cloudpickle.loads", "cloudpickle.load", "joblib.load",
                    "shelve.open", "jsonpickle.decode", "yaml.unsafe_load", "yaml.load", "yaml.full_load",
                    "pandas.read_pickle"})
_MARSHAL = frozenset({"marshal.loads", "marshal.load", "types.CodeType", "types.FunctionType"})
_DECODERS = frozenset({"base64.b64decode", "base64.standard_b64decode", "base64.urlsafe_b64decode", "base64.b32decode",
                       "base64.b16decode", "base64.a85decode", "base64.b85decode", "base64.decodebytes",
                       "base64.decodestring", "binascii.a2b_base64", "binascii.unhexlify", "binascii.a2b_hex",
                       "codecs.decode", "bytes.fromhex", "builtins.bytes.fromhex", "builtins.bytearray.fromhex",
                       "quopri.decodestring", "uu.decode"})
_DECOMPRESS = frozenset({"zlib.decompress", "gzip.decompress", "lzma.decompress", "bz2.decompress",
                         "zlib.decompressobj", "lzma.LZMADecompressor", "bz2.BZ2Decompressor", "gzip.GzipFile",
                         "gzip.open", "lzma.open", "bz2.open"})
_NET_PREFIX = ("urllib.request.", "urllib2.", "urllib.urlopen", "http.client.", "httplib.", "requests.", "httpx.",
               "aiohttp.", "socket.", "smtplib.", "ftplib.", "urllib3.", "websocket.", "websockets.", "paramiko.",
               "pycurl.", "telnetlib.", "xmlrpc.client.", "dns.resolver.", "asyncio.open_connection")
_NOT_NET = ("socket.gethostname", "socket.getfqdn", "requests.exceptions.", "requests.utils.", "requests.codes",
            "socket.AF_", "socket.SOCK_", "socket.timeout", "socket.error", "httpx.Timeout", "requests.Response",
            "urllib.request.Request", "httpx.HTTPError", "requests.HTTPError", "requests.RequestException")
_NET_TOOLS = frozenset({"curl", "wget", "nc", "ncat", "netcat", "socat", "scp", "rsync", "sftp", "ftp", "telnet", "ssh"})
_SHELL_BINS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "cmd", "cmd.exe", "powershell",
                         "powershell.exe", "pwsh"})
_ENV_DUMP_SINKS = frozenset({"builtins.print", "builtins.str", "builtins.repr", "json.dumps", "json.dump",
                             "pprint.pprint", "pprint.pformat", "pickle.dumps", "pickle.dump", "yaml.dump",
                             "yaml.safe_dump", "logging.info", "logging.warning", "logging.debug", "logging.error",
                             "base64.b64encode", "zlib.compress", "builtins.format"})
_WRITE_METHODS = frozenset({"write", "writelines", "write_text", "write_bytes", "send", "sendall", "sendto", "post",
                            "put", "info", "debug", "warning", "error", "log", "dump", "dumps"})
_DANGEROUS_NAMES = frozenset({"eval", "exec", "compile", "system", "popen", "__import__", "getattr", "__builtins__",
                              "builtins", "subprocess", "os", "marshal", "pickle", "loads", "b64decode", "socket",
                              "urlopen", "Popen", "check_output", "spawn", "execve", "execv", "ctypes", "importlib",
                              "globals", "requests", "urllib", "urllib.request", "run", "call", "getoutput",
                              "decompress", "__globals__", "__code__", "environ", "/bin/sh", "/bin/bash", "sh", "bash",
                              "cmd.exe", "powershell", "curl", "wget", "shell"})
_STRONG = frozenset({"chr", "base64", "hex", "rot13", "reverse", "decompress", "xor", "replace", "escape"})
_SECRET_TAGS = frozenset({"env", "secret"})
_CODE_TAGS = frozenset({"downloaded", "decoded", "decompressed", "unmarshalled", "built"})
_MAX_FOLD = 200_000

Folded = tuple[Any, frozenset[str]]
E0: frozenset[str] = frozenset()


def _segment(lines: list[str], node: ast.AST) -> str:
    """Source text of ``node`` (AST column offsets are UTF-8 byte offsets)."""
    lo, hi = getattr(node, "lineno", 0), getattr(node, "end_lineno", 0)
    c0, c1 = getattr(node, "col_offset", 0), getattr(node, "end_col_offset", 0)
    if not lo or not hi or hi > len(lines) or hi - lo > 200:
        return ""
    if lo == hi:
        return lines[lo - 1].encode()[c0:c1].decode("utf-8", "replace")
    parts = [lines[lo - 1].encode()[c0:].decode("utf-8", "replace"), *lines[lo:hi - 1],
             lines[hi - 1].encode()[:c1].decode("utf-8", "replace")]
    return "\n".join(parts)


class _PyModule:
    """One parsed Python source: bindings (aliases, folded constants, taint, path strings) and checks."""

    def __init__(self, ctx: _Ctx, rel: str, tree: ast.Module, source: str, line0: int, depth: int,
                 derived: str | None) -> None:
        self.ctx, self.rel, self.tree, self.line0, self.depth, self.derived = ctx, rel, tree, line0, depth, derived
        self.lines = source.splitlines()
        self.nodes = list(ast.walk(tree))
        self.siblings: Mapping[str, _PyModule] = {}
        self.aliases: dict[str, str] = {}
        self.alias_how: dict[str, tuple[int, str]] = {}
        self.consts: dict[str, Folded] = {}
        self.tags: dict[str, set[str]] = defaultdict(set)
        self.paths: dict[str, str] = {}
        self.func_tags: dict[str, set[str]] = defaultdict(set)
        self.func_fold: dict[str, Folded] = {}
        self.star: list[str] = []
        self.shadowed: set[str] = set()
        self.docstrings: set[int] = set()
        for node in self.nodes:
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                        and isinstance(first.value.value, str):
                    self.docstrings.add(id(first.value))
        self.writes = False
        self.net_lines: list[int] = []
        self._persist_hits: list[tuple[ast.expr, str, str]] = []

    # ---- positions and findings
    def line(self, node: ast.AST) -> int:
        if self.derived is not None:
            return self.line0
        return getattr(node, "lineno", 1) + self.line0 - 1

    def say(self, msg: str) -> str:
        return f"{msg} ({self.derived})" if self.derived else msg

    def add(self, rule: str, severity: str, node: ast.AST, msg: str) -> None:
        self.ctx.add(rule, severity, self.rel, self.line(node), self.say(msg))

    # ---- name resolution
    def _sibling(self, q: str) -> tuple[_PyModule, str] | None:
        mod, _, name = q.partition(".")
        sib = self.siblings.get(mod)
        if sib is not None and sib is not self and name and "." not in name:
            return sib, name
        return None

    def qual(self, node: ast.AST, depth: int = 0) -> str | None:
        if depth > 12:
            return None
        if isinstance(node, ast.Name):
            n = node.id
            if n in self.aliases:
                return self.aliases[n]
            if n == "__builtins__":
                return "builtins"
            if n in self.shadowed:
                return None
            if n in _BUILTIN_NAMES:
                return f"builtins.{n}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.qual(node.value, depth + 1)
            if base is None:
                return None
            q = f"{base}.{node.attr}"
            sib = self._sibling(q)
            if sib is not None and sib[1] in sib[0].aliases:
                return sib[0].aliases[sib[1]]
            return q
        if isinstance(node, ast.Call):
            f = self.qual(node.func, depth + 1)
            if f == "builtins.getattr" and len(node.args) >= 2:
                base = self.qual(node.args[0], depth + 1)
                name = self.fold_str(node.args[1])
                if base is not None and name is not None:
                    return "builtins." + name if base == "builtins.__dict__" else f"{base}.{name}"
                return None
            if f in ("builtins.__import__", "importlib.import_module", "importlib.__import__") and node.args:
                name = self.fold_str(node.args[0])
                if name is None:
                    return None
                has_from = len(node.args) >= 4 or any(k.arg == "fromlist" for k in node.keywords)
                return name if (f != "builtins.__import__" or has_from) else name.split(".")[0]
            if f in ("builtins.globals", "builtins.locals") and not node.args:
                return "<globals>"
            if f == "builtins.vars" and node.args:
                base = self.qual(node.args[0], depth + 1)
                return f"{base}.__dict__" if base else None
            if f == "builtins.vars" and not node.args:
                return "<globals>"
            if f == "builtins.dict" and node.args:
                return self.qual(node.args[0], depth + 1)
            return f"{f}()" if f is not None else None
        if isinstance(node, ast.Subscript):
            base = self.qual(node.value, depth + 1)
            key = self.fold_str(node.slice)
            if base is None or key is None:
                return None
            if base == "<globals>":
                if key in self.aliases:
                    return self.aliases[key]
                if key == "__builtins__":
                    return "builtins"
                return f"builtins.{key}" if key in _BUILTIN_NAMES else None
            if base.endswith(".__dict__"):
                return f"{base[:-9]}.{key}"
            if base == "builtins":
                return f"builtins.{key}"
            if base == "sys.modules":
                return key
            return None
        if isinstance(node, ast.NamedExpr):
            return self.qual(node.value, depth + 1)
        return None

    def indirect(self, node: ast.AST) -> str | None:
        """How a callee was reached when not by its plain name."""
        if isinstance(node, ast.Name):
            how = self.alias_how.get(node.id)
            return how[1] if how else None
        if isinstance(node, ast.Call):
            f = self.qual(node.func)
            if f == "builtins.getattr":
                return "getattr()"
            if f in ("builtins.__import__", "importlib.import_module"):
                return "__import__()"
        if isinstance(node, ast.Subscript):
            return "a dictionary lookup"
        if isinstance(node, ast.Attribute):
            return self.indirect(node.value)
        return None

    # ---- constant folding (pure operations only; nothing is ever executed)
    def fold_str(self, node: ast.AST) -> str | None:
        f = self.fold(node)
        if f is None:
            return None
        v = f[0]
        if isinstance(v, bytes):
            try:
                return v.decode("ascii")
            except UnicodeDecodeError:
                return None
        return v if isinstance(v, str) else None

    def fold(self, node: ast.AST, depth: int = 0) -> Folded | None:
        try:
            r = self._fold(node, depth)
        except (ValueError, TypeError, OverflowError, IndexError, KeyError, UnicodeError, binascii.Error,
                RecursionError, MemoryError, ZeroDivisionError):
            return None
        if r is not None and isinstance(r[0], str | bytes | list) and len(r[0]) > _MAX_FOLD:
            return None
        return r

    def _fold(self, node: ast.AST, depth: int) -> Folded | None:  # noqa: C901 - one case per node type
        if depth > 40:
            return None
        E: frozenset[str] = frozenset()
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None:
                return None
            if isinstance(v, str | bytes | int):
                how = E
                if isinstance(v, str | bytes) and self.derived is None:
                    seg = _segment(self.lines, node)
                    if re.search(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]{3}|N\{)", seg):
                        how = frozenset({"escape"})
                return v, how
            return None
        if isinstance(node, ast.Name):
            return self.consts.get(node.id)
        if isinstance(node, ast.Attribute):
            key = _dotted(node)
            if key is not None and key in self.consts:
                return self.consts[key]
            q = self.qual(node)
            sib = self._sibling(q) if q else None
            if sib is not None:
                return sib[0].consts.get(sib[1])
            return None
        if isinstance(node, ast.List | ast.Tuple):
            items = []
            how = E
            for elt in node.elts:
                f = self._fold(elt, depth + 1)
                if f is None:
                    return None
                items.append(f[0])
                how |= f[1]
            return items, how
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            how = frozenset({"format"})
            for part in node.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    parts.append(part.value)
                elif isinstance(part, ast.FormattedValue) and part.format_spec is None:
                    f = self._fold(part.value, depth + 1)
                    if f is None or not isinstance(f[0], str | int):
                        return None
                    parts.append(str(f[0]))
                    how |= f[1]
                else:
                    return None
            return "".join(parts), how
        if isinstance(node, ast.BinOp):
            left = self._fold(node.left, depth + 1)
            if left is None:
                return None
            right = self._fold(node.right, depth + 1)
            if right is None:
                return None
            a, b = left[0], right[0]
            how = left[1] | right[1]
            if isinstance(node.op, ast.Add) and type(a) is type(b) and isinstance(a, str | bytes | list):
                return a + b, how | {"concat"}
            if isinstance(node.op, ast.Mult):
                if isinstance(a, str | bytes | list) and isinstance(b, int) and len(a) * b <= _MAX_FOLD:
                    return a * b, how
                if isinstance(b, str | bytes | list) and isinstance(a, int) and len(b) * a <= _MAX_FOLD:
                    return b * a, how
            if isinstance(node.op, ast.Mod) and isinstance(a, str):
                args = tuple(b) if isinstance(b, list) else (b,)
                if all(isinstance(x, str | int) for x in args) and len(args) <= 20:
                    return a % args, how | {"format"}
            if isinstance(a, int) and isinstance(b, int) and abs(a) < 1 << 40 and abs(b) < 1 << 40:
                ops: dict[type[ast.operator], Any] = {
                    ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__, ast.FloorDiv: int.__floordiv__,
                    ast.Mod: int.__mod__, ast.BitXor: int.__xor__, ast.BitOr: int.__or__, ast.BitAnd: int.__and__}
                op = ops.get(type(node.op))
                if op is not None:
                    return op(a, b), how | ({"xor"} if isinstance(node.op, ast.BitXor | ast.Sub) else set())
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Invert):
            inner = self._fold(node.operand, depth + 1)
            if inner is None or not isinstance(inner[0], int):
                return None
            v = inner[0]
            return (-v if isinstance(node.op, ast.USub) else ~v if isinstance(node.op, ast.Invert) else v), inner[1]
        if isinstance(node, ast.Subscript):
            base = self._fold(node.value, depth + 1)
            if base is None or not isinstance(base[0], str | bytes | list):
                return None
            seq = base[0]
            sl = node.slice
            if isinstance(sl, ast.Slice):
                bounds: list[int | None] = []
                for bound in (sl.lower, sl.upper, sl.step):
                    if bound is None:
                        bounds.append(None)
                        continue
                    f = self._fold(bound, depth + 1)
                    if f is None or not isinstance(f[0], int):
                        return None
                    bounds.append(f[0])
                step = bounds[2]
                tag = "reverse" if (step is not None and step < 0) else "slice"
                return seq[slice(*bounds)], base[1] | {tag}
            idx = self._fold(sl, depth + 1)
            if idx is None or not isinstance(idx[0], int):
                return None
            return seq[idx[0]], base[1] | idx[1]
        if isinstance(node, ast.Call):
            return self._fold_call(node, depth)
        if isinstance(node, ast.GeneratorExp | ast.ListComp):
            return self._fold_comp(node, depth)
        return None

    def _fold_call(self, node: ast.Call, depth: int) -> Folded | None:
        E: frozenset[str] = frozenset()
        args = node.args
        if node.keywords and not all(k.arg in ("encoding", "errors", "validate", "altchars") for k in node.keywords):
            return None
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self._fold(func.value, depth + 1)
            if base is not None and isinstance(base[0], str | bytes):
                return self._fold_method(base, func.attr, args, depth)
        q = self.qual(func)
        if q is None:
            name = func.id if isinstance(func, ast.Name) else None
            if name is not None and name in self.func_fold and not args:
                return self.func_fold[name]
            return None
        if q == "builtins.map" and len(args) == 2 and self.qual(args[0]) == "builtins.chr":
            seq = self._fold(args[1], depth + 1)
            if seq is None or not isinstance(seq[0], list | bytes):
                return None
            return [chr(i) for i in seq[0]], seq[1] | {"chr"}
        vals: list[Folded] = []
        for a in args:
            f = self._fold(a, depth + 1)
            if f is None:
                return None
            vals.append(f)
        how = E.union(*(v[1] for v in vals)) if vals else E
        x = vals[0][0] if vals else None
        if q == "builtins.chr" and isinstance(x, int):
            return chr(x), how | {"chr"}
        if q == "builtins.str" and isinstance(x, str):
            return x, how
        if q in ("builtins.bytes", "builtins.bytearray"):
            if isinstance(x, list) and all(isinstance(i, int) for i in x):
                return bytes(x), how | {"chr"}
            if isinstance(x, str) and len(vals) >= 2 and vals[1][0] in ("utf-8", "utf8", "ascii", "latin-1"):
                return x.encode(vals[1][0]), how
            if isinstance(x, bytes):
                return x, how
            return None
        if q in ("builtins.list", "builtins.tuple") and isinstance(x, list | str | bytes):
            return list(x), how
        if q == "builtins.reversed" and isinstance(x, list | str | bytes):
            return list(reversed(x)), how | {"reverse"}
        if q in ("base64.b64decode", "base64.standard_b64decode", "base64.decodebytes", "base64.decodestring",
                 "binascii.a2b_base64", "base64.urlsafe_b64decode", "base64.b32decode", "base64.b16decode",
                 "base64.a85decode", "base64.b85decode") and isinstance(x, str | bytes):
            fn: Any = {"base64.urlsafe_b64decode": base64.urlsafe_b64decode, "base64.b32decode": base64.b32decode,
                  "base64.b16decode": base64.b16decode, "base64.a85decode": base64.a85decode,
                  "base64.b85decode": base64.b85decode}.get(q, base64.b64decode)
            return fn(x), how | {"base64"}
        if q in ("binascii.unhexlify", "binascii.a2b_hex", "bytes.fromhex", "builtins.bytes.fromhex",
                 "builtins.bytearray.fromhex") and isinstance(x, str | bytes):
            return binascii.unhexlify(x if isinstance(x, bytes) else x.encode()), how | {"hex"}
        if q == "codecs.decode" and len(vals) >= 2 and isinstance(vals[1][0], str):
            return _codec(x, vals[1][0], how)
        if q in ("zlib.decompress", "gzip.decompress", "lzma.decompress", "bz2.decompress") and isinstance(x, bytes):
            out = _bounded_decompress(x)
            return (out, how | {"decompress"}) if out is not None else None
        return None

    def _fold_method(self, base: Folded, attr: str, args: list[ast.expr], depth: int) -> Folded | None:
        v, how = base
        vals: list[Folded] = []
        for a in args:
            f = self._fold(a, depth + 1)
            if f is None:
                return None
            vals.append(f)
        for f in vals:
            how |= f[1]
        if attr == "join" and vals and isinstance(vals[0][0], list | str):
            items = vals[0][0]
            if isinstance(v, str) and all(isinstance(i, str) for i in items):
                return v.join(items), how | {"join"}
            if isinstance(v, bytes) and isinstance(items, list) and all(isinstance(i, bytes) for i in items):
                return v.join(items), how | {"join"}
            return None
        if attr == "decode" and isinstance(v, bytes):
            enc = vals[0][0] if vals else "utf-8"
            if isinstance(enc, str):
                return _codec(v, enc, how) if enc.lower() in ("rot13", "rot_13", "hex", "base64") \
                    else (v.decode(enc if enc.lower() in ("utf-8", "utf8", "ascii", "latin-1", "latin1") else "utf-8"),
                          how)
            return None
        if attr == "encode" and isinstance(v, str):
            enc = vals[0][0] if vals else "utf-8"
            if isinstance(enc, str) and enc.lower() in ("utf-8", "utf8", "ascii", "latin-1", "latin1"):
                return v.encode(enc), how
            return None
        if attr == "replace" and len(vals) == 2 and type(vals[0][0]) is type(v) and type(vals[1][0]) is type(v):
            return v.replace(vals[0][0], vals[1][0]), how | {"replace"}
        if attr in ("lower", "upper", "strip", "lstrip", "rstrip", "swapcase", "title", "casefold") and not vals:
            return getattr(v, attr)(), how
        if attr == "format" and isinstance(v, str) and all(isinstance(f[0], str | int) for f in vals):
            fields = [fname for _, fname, _, _ in string.Formatter().parse(v) if fname]
            if any(("." in fn or "[" in fn) for fn in fields):
                return None
            return v.format(*[f[0] for f in vals]), how | {"format"}
        if attr == "translate":
            return None
        if attr == "split" and isinstance(v, str) and len(vals) <= 1 and all(isinstance(f[0], str) for f in vals):
            return v.split(*[f[0] for f in vals]), how
        if attr == "fromhex" and isinstance(v, str):
            return None
        return None

    def _fold_comp(self, node: ast.GeneratorExp | ast.ListComp, depth: int) -> Folded | None:
        if len(node.generators) != 1:
            return None
        gen = node.generators[0]
        if gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name):
            return None
        it = self._fold(gen.iter, depth + 1)
        if it is None or not isinstance(it[0], list | str | bytes) or len(it[0]) > 50_000:
            return None
        name = gen.target.id
        saved = self.consts.get(name)
        out: list[Any] = []
        how = it[1]
        try:
            for item in it[0]:
                self.consts[name] = (item, frozenset())
                f = self._fold(node.elt, depth + 1)
                if f is None:
                    return None
                out.append(f[0])
                how |= f[1]
        finally:
            if saved is None:
                self.consts.pop(name, None)
            else:
                self.consts[name] = saved
        return out, how

    # ---- path strings (unknown parts become '*')
    def pathish(self, node: ast.AST, depth: int = 0) -> str | None:
        if depth > 12:
            return None
        s = self.fold_str(node)
        if s is not None:
            return s
        if isinstance(node, ast.Name):
            return self.paths.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append(v.value)
                elif isinstance(v, ast.FormattedValue):
                    parts.append(self.pathish(v.value, depth + 1) or "*")
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add):
            left = self.pathish(node.left, depth + 1)
            right = self.pathish(node.right, depth + 1)
            if left is None and right is None:
                return None
            sep = "/" if isinstance(node.op, ast.Div) else ""
            return f"{left or '*'}{sep}{right or '*'}"
        if isinstance(node, ast.Call):
            q = self.qual(node.func) or ""
            if q in ("pathlib.Path.home", "os.path.expanduser") and not node.args:
                return "~"
            if q in ("site.getsitepackages", "site.getusersitepackages", "sysconfig.get_paths", "sysconfig.get_path"):
                return "site-packages"
            if q in ("os.getenv", "os.environ.get") and node.args and self.fold_str(node.args[0]) in ("HOME",
                                                                                                     "USERPROFILE"):
                return "~"
            if q in ("os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path", "pathlib.PurePath",
                     "pathlib.PosixPath", "pathlib.WindowsPath") or q.endswith(".joinpath"):
                parts = [self.pathish(a, depth + 1) or "*" for a in node.args]
                if isinstance(node.func, ast.Attribute) and q.endswith(".joinpath"):
                    parts.insert(0, self.pathish(node.func.value, depth + 1) or "*")
                return "/".join(parts) if parts else "."
            if q in ("os.path.expanduser", "os.path.expandvars", "os.path.abspath", "os.path.realpath",
                     "os.path.normpath", "builtins.str", "os.fspath", "glob.glob", "glob.iglob") and node.args:
                return self.pathish(node.args[0], depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("expanduser", "resolve", "absolute",
                                                                           "joinpath", "glob", "rglob"):
                base = self.pathish(node.func.value, depth + 1)
                extra = [self.pathish(a, depth + 1) or "*" for a in node.args]
                if base is not None:
                    return "/".join([base, *[e for e in extra if e is not None]])
        if isinstance(node, ast.Subscript):
            if self.qual(node.value) == "os.environ" and self.fold_str(node.slice) in ("HOME", "USERPROFILE"):
                return "~"
            if self.pathish(node.value, depth + 1) == "site-packages":
                return "site-packages"
        return None

    # ---- taint: where a value comes from
    def taint(self, node: ast.AST | None, depth: int = 0) -> set[str]:
        if node is None or depth > 25:
            return set()
        if isinstance(node, ast.Name):
            out = set(self.tags.get(node.id, ()))
            q = self.aliases.get(node.id)
            if q == "os.environ":
                out.add("env")
            return out
        if isinstance(node, ast.Attribute):
            key = _dotted(node)
            if key is not None and key in self.tags:
                return set(self.tags[key])
            q = self.qual(node)
            if q == "os.environ":
                return {"env"}
            sib = self._sibling(q) if q else None
            if sib is not None:
                return set(sib[0].tags.get(sib[1], ())) | set(sib[0].func_tags.get(sib[1], ()))
            return self.taint(node.value, depth + 1)
        if isinstance(node, ast.Subscript):
            q = self.qual(node.value)
            if q == "os.environ":
                return {"envvar"}
            return self.taint(node.value, depth + 1)
        if isinstance(node, ast.Call):
            return self._taint_call(node, depth)
        if isinstance(node, ast.Dict):
            out = set()
            for k, v in zip(node.keys, node.values, strict=False):
                out |= self.taint(k, depth + 1) | self.taint(v, depth + 1)
            return out
        if isinstance(node, ast.DictComp | ast.ListComp | ast.SetComp | ast.GeneratorExp):
            out = set()
            for g in node.generators:
                out |= self.taint(g.iter, depth + 1)
            elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for e in elts:
                out |= self.taint(e, depth + 1)
            return out
        out = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                out |= self.taint(child, depth + 1)
        return out

    def _taint_call(self, node: ast.Call, depth: int) -> set[str]:
        q = self.qual(node.func) or ""
        args_t: set[str] = set()
        for a in node.args:
            args_t |= self.taint(a, depth + 1)
        for k in node.keywords:
            args_t |= self.taint(k.value, depth + 1)
        if q in _DECODERS:
            return args_t | {"decoded"}
        if q in _DECOMPRESS:
            return args_t | {"decompressed"}
        if q in ("marshal.loads", "marshal.load"):
            return args_t | {"unmarshalled"}
        if _is_net(q):
            return {"downloaded"}
        if q in ("os.getenv", "os.environ.get", "os.getenvb"):
            return {"envvar"}
        if q in ("os.environ.copy", "os.environ.items", "os.environ.values", "os.environ.keys"):
            return {"env"}
        if q in ("builtins.open", "io.open", "codecs.open", "pathlib.Path.read_text", "pathlib.Path.read_bytes") \
                or (isinstance(node.func, ast.Attribute) and node.func.attr in ("read_text", "read_bytes", "open")):
            target = node.args[0] if (node.args and q in ("builtins.open", "io.open", "codecs.open")) else (
                node.func.value if isinstance(node.func, ast.Attribute) else None)
            p = self.pathish(target) if target is not None else None
            if p and (SENSITIVE_PATH.search(p) or CREDENTIAL_FILE.search(p)):
                return args_t | {"secret"}
        if isinstance(node.func, ast.Name) and node.func.id in self.func_tags:
            return args_t | self.func_tags[node.func.id]
        sib = self._sibling(q) if q else None
        if sib is not None:
            return args_t | set(sib[0].func_tags.get(sib[1], ()))
        if isinstance(node.func, ast.Attribute):
            args_t |= self.taint(node.func.value, depth + 1)
        if q in ("builtins.chr",) or (isinstance(node.func, ast.Attribute) and node.func.attr == "join"):
            f = self.fold(node)
            if f is not None and f[1] & _STRONG:
                args_t.add("built")
        return args_t

    # ---- bindings
    def bind(self, siblings: Mapping[str, _PyModule]) -> None:
        self.siblings = siblings
        rounds = 3 if len(self.nodes) < 5000 else 2
        for _ in range(rounds):
            for node in self.nodes:
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            self.aliases[a.asname] = a.name
                        else:
                            top = a.name.split(".")[0]
                            self.aliases[top] = top
                elif isinstance(node, ast.ImportFrom):
                    self._bind_from(node)
                elif isinstance(node, ast.Assign):
                    for t in node.targets:
                        self._bind(t, node.value)
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    self._bind(node.target, node.value)
                elif isinstance(node, ast.AugAssign):
                    if isinstance(node.target, ast.Name):
                        self.tags[node.target.id] |= self.taint(node.value)
                        old = self.consts.get(node.target.id)
                        new = self.fold(node.value)
                        if old is not None and new is not None and isinstance(node.op, ast.Add) \
                                and type(old[0]) is type(new[0]) and isinstance(old[0], str | bytes | list):
                            self.consts[node.target.id] = (old[0] + new[0], old[1] | new[1] | {"concat"})
                elif isinstance(node, ast.NamedExpr):
                    self._bind(node.target, node.value)
                elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                    it = self.taint(node.iter)
                    for name in _names(node.target):
                        self.tags[name] |= it
                elif isinstance(node, ast.With | ast.AsyncWith):
                    for item in node.items:
                        if item.optional_vars is not None:
                            self._bind(item.optional_vars, item.context_expr)
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    self._bind_function(node)

    def _bind_from(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        sib = self.siblings.get(mod.split(".")[-1]) if (node.level or mod) else None
        for a in node.names:
            local = a.asname or a.name
            if a.name == "*":
                if sib is None:
                    self.star.append(mod)
                else:
                    self.aliases.update(sib.aliases)
                    self.consts.update(sib.consts)
                    for k, v in sib.tags.items():
                        self.tags[k] |= v
                continue
            if sib is not None and sib is not self:
                if a.name in sib.aliases:
                    self.aliases[local] = sib.aliases[a.name]
                    if a.name in sib.alias_how:
                        self.alias_how[local] = (self.line(node), f"{sib.alias_how[a.name][1]} in {sib.rel}")
                if a.name in sib.consts:
                    self.consts[local] = sib.consts[a.name]
                if a.name in sib.tags:
                    self.tags[local] |= sib.tags[a.name]
                if a.name in sib.func_tags:
                    self.func_tags[local] |= sib.func_tags[a.name]
                if a.name in sib.func_fold:
                    self.func_fold[local] = sib.func_fold[a.name]
                if a.name in sib.paths:
                    self.paths[local] = sib.paths[a.name]
                continue
            if node.level == 0 and mod:
                self.aliases[local] = f"{mod}.{a.name}"

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self._bind(t, v)
            else:
                vt = self.taint(value)
                for name in _names(target):
                    self.tags[name] |= vt
            return
        if isinstance(target, ast.Starred):
            self._bind(target.value, value)
            return
        if isinstance(target, ast.Subscript):
            base = _dotted(target.value)
            if base is not None:
                self.tags[base] |= self.taint(value)
            return
        key = target.id if isinstance(target, ast.Name) else _dotted(target)
        if key is None:
            return
        q = self.qual(value)
        if q is not None:
            self.aliases[key] = q
            how = self.indirect(value)
            if how is None and isinstance(value, ast.Name | ast.Attribute) and _is_dangerous_callable(q):
                how = "an alias"
            if how is not None and _is_dangerous_callable(q):
                self.alias_how[key] = (self.line(value), how)
        elif isinstance(target, ast.Name) and target.id in _BUILTIN_NAMES:
            self.shadowed.add(target.id)
        f = self.fold(value)
        if f is not None and (not isinstance(f[0], list) or len(f[0]) < 100_000):
            self.consts[key] = f
        p = self.pathish(value)
        if p is not None:
            self.paths[key] = p
        self.tags[key] |= self.taint(value)

    def _bind_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if isinstance(node, ast.Lambda):
            return
        tags: set[str] = set()
        rets = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
        for r in rets:
            tags |= self.taint(r.value)
        if tags:
            self.func_tags[node.name] |= tags
        if len(rets) == 1 and not node.args.args:
            assert rets[0].value is not None
            f = self.fold(rets[0].value)
            if f is not None:
                self.func_fold[node.name] = f

    # ---- checks
    def check(self) -> None:
        for node in self.nodes:
            if isinstance(node, ast.Call):
                self._check_call(node)
        for name, (line, how) in self.alias_how.items():
            q = self.aliases.get(name, "")
            self.ctx.add(R_OB_INDIRECT, "high", self.rel, line if self.derived is None else self.line0,
                         self.say(f"reaches {q.replace('builtins.', '')} through {how} ('{name}')"))
        self._check_strings()

    def _check_call(self, node: ast.Call) -> None:
        q = self.qual(node.func)
        if q is None:
            if isinstance(node.func, ast.Attribute) and node.func.attr in _WRITE_METHODS | {"write_text", "write_bytes"}:
                self.writes = True
                if node.func.attr in ("write", "write_text", "writelines") and self.taint(
                        node.args[0] if node.args else None) & {"env"}:
                    self.add(R_CA_ENV, "high", node, "writes the whole environment to a file")
            return
        short = q.replace("builtins.", "")
        how = self.indirect(node.func)
        if how is not None and _is_dangerous_callable(q) and not isinstance(node.func, ast.Name):
            self.add(R_OB_INDIRECT, "high", node, f"calls {short} through {how}")
        if q in _EXEC:
            self._check_exec(node, q)
        elif q in _SHELL_FUNCS or q in _PROC_FUNCS:
            self._check_process(node, q)
        elif q in _DESER:
            self._check_deser(node, q)
        elif q in _MARSHAL:
            t = self.taint(node.args[0]) if node.args else set()
            self.add(R_OB_MARSHAL, "critical" if t & _CODE_TAGS else "high", node,
                     f"{short}: builds code objects from bytes")
        elif q in ("builtins.getattr",) and len(node.args) >= 2:
            base = self.qual(node.args[0])
            if base in ("builtins", "os", "subprocess", "builtins.__dict__") and self.fold_str(node.args[1]) is None:
                self.add(R_OB_INDIRECT, "medium", node, f"getattr({base}, <computed name>)")
        elif q in ("builtins.__import__", "importlib.import_module") and node.args and self.fold_str(node.args[0]) is None:
            self.add(R_OB_INDIRECT, "medium", node, "imports a module whose name is computed at run time")
        elif q in ("ctypes.CDLL", "ctypes.cdll.LoadLibrary", "ctypes.WinDLL", "ctypes.windll.LoadLibrary"):
            self.add(R_DE_NATIVE, "medium", node, "loads a native library with ctypes")
        if q in ("os.chmod", "pathlib.Path.chmod") or (isinstance(node.func, ast.Attribute) and node.func.attr == "chmod"):
            mode = node.args[-1] if node.args else None
            m = self.fold(mode) if mode is not None else None
            src = _segment(self.lines, mode) if mode is not None else ""
            if (m is not None and isinstance(m[0], int) and m[0] & 0o111) or re.search(r"S_IX|S_IEXEC", src):
                self.ctx.cap("chmodx", self.rel, self.line(node))
        if q in ("importlib.util.spec_from_file_location", "importlib.machinery.SourceFileLoader"):
            self.ctx.cap("runfile", self.rel, self.line(node))
        if q in ("urllib.request.urlretrieve", "urllib.urlretrieve", "wget.download"):
            self.ctx.cap("download", self.rel, self.line(node))
        if q in ("builtins.open", "io.open", "os.open", "codecs.open"):
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg in ("mode",
                                                                                                           "flags")), None)
            ms = self.fold(mode) if mode is not None else None
            if ms is not None and ((isinstance(ms[0], str) and set(ms[0]) & set("wax+")) or isinstance(ms[0], int)):
                self.writes = True
        if q.startswith(("shutil.copy", "shutil.move", "os.rename", "os.replace", "os.symlink", "os.link")):
            self.writes = True
        if _is_net(q):
            self._check_network(node, q)
        elif q in _ENV_DUMP_SINKS or q.rsplit(".", 1)[-1] in _WRITE_METHODS:
            dumped: set[str] = set()
            for a in node.args:
                dumped |= self.taint(a)
            if "env" in dumped:
                self.add(R_CA_ENV, "high", node, f"{short}() of the whole environment")
                self.ctx.cap("envdump", self.rel, self.line(node))
        for a in node.args:
            if isinstance(a, ast.DictComp | ast.ListComp | ast.GeneratorExp | ast.SetComp):
                self._check_env_harvest(a)

    def _check_env_harvest(self, comp: ast.DictComp | ast.ListComp | ast.GeneratorExp | ast.SetComp) -> None:
        if not any("env" in self.taint(g.iter) for g in comp.generators):
            return
        conds = " ".join(_segment(self.lines, c) for g in comp.generators for c in g.ifs)
        if re.search(r"KEY|TOKEN|SECRET|PASS|AUTH|CRED|AWS|API|PRIVATE|SESSION", conds, _F):
            self.add(R_CA_ENV, "high", comp, "collects secret-looking environment variables")
            self.ctx.cap("envdump", self.rel, self.line(comp))

    def _check_exec(self, node: ast.Call, q: str) -> None:
        arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("source", "object",
                                                                                               "path_name")), None)
        if arg is None:
            return
        short = q.replace("builtins.", "")
        if q in ("runpy.run_path", "runpy.run_module", "code.interact"):
            self.add(R_DE_EXEC, "medium", node, f"{short}() runs another file as code")
            self.ctx.cap("runfile", self.rel, self.line(node))
            return
        f = self.fold(arg)
        tags = self.taint(arg)
        if f is not None and isinstance(f[0], str | bytes):
            code = f[0].decode("utf-8", "replace") if isinstance(f[0], bytes) else f[0]
            strong = f[1] & _STRONG
            if strong:
                self.add(R_DE_EXEC, "critical", node,
                         f"{short}() runs code hidden with {', '.join(sorted(strong))}: '{_show(code, 60)}'")
                self.add(R_OB_DECODE, "high", node, f"code hidden with {', '.join(sorted(strong))}")
            else:
                self.add(R_DE_EXEC, "medium", node, f"{short}() of a string literal: '{_show(code, 60)}'")
            if self.depth < MAX_DEPTH:
                what = f"in code passed to {short}()"
                _scan_text(self.ctx, self.rel, code, "python", depth=self.depth + 1, where=_Where(self.line(node), what))
                _scan_python(self.ctx, self.rel, code, line0=self.line(node), depth=self.depth + 1, siblings={},
                             derived=what)
            return
        if "downloaded" in tags:
            self.add(R_DE_EXEC, "critical", node, f"{short}() runs code downloaded from the network")
        elif tags & _CODE_TAGS:
            kinds = ", ".join(sorted(tags & _CODE_TAGS))
            self.add(R_DE_EXEC, "critical", node, f"{short}() runs {kinds} data as code")
        elif tags & (_SECRET_TAGS | {"envvar"}):
            self.add(R_DE_EXEC, "high", node, f"{short}() runs code taken from the environment or a file")
        else:
            self.add(R_DE_EXEC, "medium", node, f"{short}() of a value not known statically")

    def _command(self, node: ast.Call, q: str) -> tuple[str | None, bool, ast.AST | None]:
        """(command text if known, runs through a shell, the command node)."""
        cmd_node: ast.AST | None = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg in ("args", "cmd", "command")), None)
        if q.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            rest = node.args[1:] if not q.startswith("os.spawn") else node.args[2:]
            cmd_node = rest[0] if len(rest) == 1 else (ast.List(elts=list(rest), ctx=ast.Load()) if rest else None)
        shell = q in _SHELL_FUNCS
        for k in node.keywords:
            if k.arg == "shell":
                shell = not (isinstance(k.value, ast.Constant) and not k.value.value)
        if cmd_node is None:
            return None, shell, None
        f = self.fold(cmd_node)
        if f is not None and isinstance(f[0], list) and all(isinstance(x, str) for x in f[0]):
            argv = f[0]
            if argv and os.path.basename(argv[0]).lower() in _SHELL_BINS and len(argv) >= 3 \
                    and argv[1].lower() in ("-c", "/c", "-command", "-lc", "-ic", "/k", "-encodedcommand", "-e", "-enc"):
                return " ".join(argv[2:]), True, cmd_node
            return " ".join(argv), shell, cmd_node
        if f is not None and isinstance(f[0], str):
            return f[0], shell, cmd_node
        if isinstance(cmd_node, ast.List | ast.Tuple) and cmd_node.elts:
            first = self.fold_str(cmd_node.elts[0])
            if first and os.path.basename(first).lower() in _SHELL_BINS and len(cmd_node.elts) >= 3:
                second = self.fold_str(cmd_node.elts[1]) or ""
                if second.lower() in ("-c", "/c", "-command", "-lc"):
                    third = self.fold_str(cmd_node.elts[2])
                    return third, True, cmd_node.elts[2]
            if first and os.path.basename(first).lower() in _NET_TOOLS:
                return first + " ...", shell, cmd_node
        return None, shell, cmd_node

    def _check_process(self, node: ast.Call, q: str) -> None:
        cmd, shell, cmd_node = self._command(node, q)
        short = q.replace("builtins.", "")
        tags = self.taint(cmd_node) if cmd_node is not None else set()
        if cmd is not None:
            word = cmd.strip().split(" ")[0] if cmd.strip() else ""
            if os.path.basename(word).lower() in _NET_TOOLS:
                self.ctx.cap("net", self.rel, self.line(node))
                self.net_lines.append(self.line(node))
            if self.depth < MAX_DEPTH:
                _scan_text(self.ctx, self.rel, cmd, "shell", depth=self.depth + 1,
                           where=_Where(self.line(node), f"in the command run by {short}()"))
        if tags & _CODE_TAGS:
            self.add(R_DE_SHELL, "critical", node,
                     f"{short}() runs a command made of {', '.join(sorted(tags & _CODE_TAGS))} data")
            return
        if shell:
            if cmd is None:
                self.add(R_DE_SHELL, "high", node, f"{short}() runs a shell command built at run time")
            else:
                self.add(R_DE_SHELL, "medium", node, f"{short}() runs through a shell: '{_show(cmd, 60)}'")
        if tags & _SECRET_TAGS:
            self.add(R_EX_SEND, "high", node, f"{short}() gets the environment or secret files in its command")

    def _check_deser(self, node: ast.Call, q: str) -> None:
        if q in ("yaml.load", "yaml.full_load"):
            loader = next((k.value for k in node.keywords if k.arg == "Loader"),
                          node.args[1] if len(node.args) > 1 else None)
            if loader is not None and re.search(r"safe|base", _segment(self.lines, loader), _F):
                return
        t = self.taint(node.args[0]) if node.args else set()
        short = q.replace("builtins.", "")
        if t & (_CODE_TAGS | {"downloaded"}):
            self.add(R_DE_DESER, "critical", node, f"{short}() of {', '.join(sorted(t & _CODE_TAGS))} data runs code")
        else:
            self.add(R_DE_DESER, "medium", node, f"{short}(): unpickling runs code if the data is not yours")

    def _check_network(self, node: ast.Call, q: str) -> None:
        self.ctx.cap("net", self.rel, self.line(node))
        self.net_lines.append(self.line(node))
        t: set[str] = set()
        for a in node.args:
            t |= self.taint(a)
        for k in node.keywords:
            t |= self.taint(k.value)
        if isinstance(node.func, ast.Attribute):
            t |= self.taint(node.func.value) & _SECRET_TAGS
        if "envvar" in t and q.rsplit(".", 1)[-1] in ("gethostbyname", "gethostbyname_ex", "getaddrinfo", "resolve",
                                                       "query", "create_connection"):
            self.add(R_EX_SEND, "critical", node, f"{q}() puts an environment variable into a DNS name (DNS exfiltration)")
        if t & _SECRET_TAGS:
            what = " and ".join(sorted({"env": "the environment", "secret": "secret files"}[x] for x in t & _SECRET_TAGS))
            self.add(R_EX_SEND, "critical", node, f"{q.replace('builtins.', '')}() sends {what} over the network")

    def _check_strings(self) -> None:
        """Folded and escaped strings: dangerous names built from pieces, hidden commands, secret and start-up
        paths (with the file's write capability)."""
        skip: set[int] = set()
        for node in self.nodes:
            if id(node) in skip:
                for c in ast.iter_child_nodes(node):
                    skip.add(id(c))
                continue
            if not isinstance(node, ast.expr) or id(node) in self.docstrings:
                continue
            if isinstance(node, ast.Constant):
                if isinstance(node.value, str | bytes):
                    self._judge_string(node, (node.value, E0), plain=True)
                continue
            if not isinstance(node, ast.BinOp | ast.JoinedStr | ast.Call | ast.Subscript | ast.GeneratorExp
                              | ast.ListComp):
                continue
            f = self.fold(node)
            if f is not None and isinstance(f[0], str | bytes) and f[1]:
                for c in ast.walk(node):
                    skip.add(id(c))
                self._judge_string(node, f, plain=False)
                continue
            if isinstance(node, ast.Call | ast.BinOp | ast.JoinedStr):
                p = self.pathish(node)
                if p is not None and p != self.fold_str(node):
                    self._judge_path(node, p)

    def _judge_string(self, node: ast.expr, f: Folded, *, plain: bool) -> None:
        v, how = f
        if isinstance(v, bytes):
            magic = _exec_magic(v)
            if magic:
                self.add(R_BB_EXEC, "critical", node, f"bytes constant holds {magic[0]}")
                return
            if v[:2] in (b"\x78\x9c", b"\x78\x01", b"\x78\xda") or v.startswith(_COMPRESSED_MAGIC[4:]):
                _judge_payload(self.ctx, self.rel, v, "compressed bytes constant", len(v), self.line(node), self.say,
                               self.depth)
                return
            if _printable_ratio(v) < 0.85:
                return
            v = v.decode("utf-8", "replace")
        assert isinstance(v, str)
        self._judge_path(node, v)
        if plain and not how:
            return
        strong = how & _STRONG
        name = v.strip()
        if name in _DANGEROUS_NAMES or name.split(".")[-1] in ("system", "popen", "eval", "exec", "b64decode",
                                                               "check_output", "Popen", "__import__"):
            if strong or "concat" in how or "join" in how or "format" in how:
                self.add(R_OB_NAME, "high", node, f"builds the name '{_show(name, 40)}' from pieces "
                                                  f"({', '.join(sorted(how))})")
            return
        if len(v) < 4 or self.depth >= MAX_DEPTH:
            return
        before = set(self.ctx.findings)
        what = f"in a string built with {', '.join(sorted(how))}"
        _scan_text(self.ctx, self.rel, v, "shell", depth=self.depth + 1, where=_Where(self.line(node), what))
        new = [self.ctx.findings[k] for k in set(self.ctx.findings) - before]
        if strong and _looks_python(v):
            _scan_python(self.ctx, self.rel, v, line0=self.line(node), depth=self.depth + 1, siblings={}, derived=what)
        serious = [x for x in new if _RANK[x.severity] >= _RANK["high"] and x.category != _OB]
        if serious or (strong and _CODEY.search(v)):
            self.add(R_OB_DECODE if strong else R_OB_NAME, "high", node,
                     f"hides '{_show(v, 60)}' with {', '.join(sorted(how))}")
        elif strong and len(v) >= 8 and _printable_ratio(v.encode("utf-8", "replace")) > 0.9:
            self.add(R_OB_DECODE, "medium", node, f"decodes text at run time with {', '.join(sorted(strong))}: "
                                                  f"'{_show(v, 50)}'")

    def _judge_path(self, node: ast.expr, p: str) -> None:
        if len(p) > 4096:
            return
        m = SENSITIVE_PATH.search(p)
        if m:
            self.add(R_EX_PATH, "high", node, f"touches secret files: '{_show(p, 60)}'")
            self.ctx.cap("secret", self.rel, self.line(node))
            return
        m = CREDENTIAL_FILE.search(p)
        if m:
            self.add(R_CA_FILE, "high", node, f"touches a credential store: '{_show(p, 60)}'")
            self.ctx.cap("secret", self.rel, self.line(node))
            return
        if SECRET_GLOB.search(p):
            self.add(R_CA_SEARCH, "high", node, f"looks for key files: '{_show(p, 60)}'")
            self.ctx.cap("secret", self.rel, self.line(node))
            return
        m = PERSIST_PATH.search(p)
        if m and ("/" in p or "\\" in p or p.startswith(("~", "."))):
            self.ctx.cap("persist", self.rel, self.line(node))
            self._persist_hits.append((node, p, m.group(0)))

    def pattern_lines(self) -> set[int]:
        """Lines of string constants that are data to match against (phrase lists, regular expressions): a
        prompt-injection phrase there is mentioned by a detector or filter, not addressed to the agent."""
        out: set[int] = set()

        def take(node: ast.AST) -> None:
            for c in ast.walk(node):
                if isinstance(c, ast.Constant) and isinstance(c.value, str):
                    out.update(range(self.line(c), getattr(c, "end_lineno", c.lineno) + self.line0))

        for node in self.nodes:
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.List | ast.Tuple | ast.Set
                                                                          | ast.Dict):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(_PATTERN_NAMES.search(_dotted(t) or "") for t in targets):
                    take(node.value)
            elif isinstance(node, ast.Call) and (self.qual(node.func) or "").startswith("re.") and node.args:
                take(node.args[0])
        return out

    def finish(self) -> None:
        for node, p, hit in self._persist_hits:
            low = hit.lower()
            rule = (R_PE_CRON if "cron" in low else R_PE_SSH if "authorized_keys" in low
                    else R_PE_SERVICE if any(s in low for s in ("systemd", "launch", "run", "startup", "autostart"))
                    else R_PE_PYSTART if ("customize" in low or low.endswith(".pth"))
                    else R_PE_AGENT if any(s in low for s in ("claude", "cursor", "codex", "gemini", "mcp"))
                    else R_PE_PROFILE)
            sev = "high" if self.writes else "medium"
            verb = "writes" if self.writes else "mentions"
            self.add(rule, "critical" if rule == R_PE_SSH and self.writes else sev, node,
                     f"{verb} a start-up location: '{_show(p, 60)}'")


def _codec(x: Any, enc: str, how: frozenset[str]) -> Folded | None:
    e = enc.lower().replace("-", "_")
    if e in ("rot13", "rot_13") and isinstance(x, str):
        return x.translate(str.maketrans(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm")), how | {"rot13"}
    if e in ("hex", "hex_codec") and isinstance(x, str | bytes):
        return binascii.unhexlify(x), how | {"hex"}
    if e in ("base64", "base_64", "base64_codec") and isinstance(x, str | bytes):
        return base64.b64decode(x), how | {"base64"}
    if e in ("zlib", "zlib_codec", "bz2", "bz2_codec") and isinstance(x, bytes):
        out = _bounded_decompress(x)
        return (out, how | {"decompress"}) if out is not None else None
    if e in ("utf_8", "utf8", "ascii", "latin_1", "latin1") and isinstance(x, bytes):
        return x.decode(e), how
    return None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _names(target: ast.AST) -> Iterable[str]:
    for n in ast.walk(target):
        if isinstance(n, ast.Name):
            yield n.id


_PATTERN_NAMES = re.compile(r"PATTERN|PHRASE|BLOCK|DENY|DETECT|SIGNATURE|RULES|KEYWORD|SUSPICIOUS|INJECTION|REGEX"
                            r"|FILTER|STOPWORD|BANNED|FORBIDDEN|TRIGGER|MARKER|EXAMPLE", _F)


def _is_net(q: str) -> bool:
    return q.startswith(_NET_PREFIX) and not q.startswith(_NOT_NET)


def _is_dangerous_callable(q: str) -> bool:
    return q in _EXEC or q in _SHELL_FUNCS or q in _PROC_FUNCS or q in _MARSHAL or q in (
        "builtins.__import__", "builtins.getattr", "pickle.loads", "builtins.globals") or q in ("os", "subprocess",
                                                                                               "builtins", "marshal")


def _scan_python(ctx: _Ctx, rel: str, source: str, *, line0: int = 1, depth: int = 0,
                 siblings: Mapping[str, _PyModule] | None = None, derived: str | None = None) -> _PyModule | None:
    """Parse and check Python source (a whole file when ``derived`` is None)."""
    mod = _parse_python(ctx, rel, source, line0=line0, depth=depth, derived=derived)
    if mod is None:
        return None
    mod.bind(siblings or {})
    mod.check()
    mod.finish()
    return mod


def _parse_python(ctx: _Ctx, rel: str, source: str, *, line0: int, depth: int,
                  derived: str | None) -> _PyModule | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    return _PyModule(ctx, rel, tree, source, line0, depth, derived)


# ---------------------------------------------------------------------------------------------- files

def _kind(rel: str, text: str) -> str:
    ext = os.path.splitext(rel)[1].lower()
    kind = _EXT_KIND.get(ext)
    if kind:
        return kind
    first = text[:200].split("\n", 1)[0]
    if first.startswith("#!"):
        if "python" in first:
            return "python"
        if re.search(r"\b(?:ba|z|da|k)?sh\b|\benv\s+(?:ba|z)?sh\b", first):
            return "shell"
        if "node" in first:
            return "js"
    return "text" if ext else "shell"


def _decode_text(data: bytes) -> tuple[str | None, bool]:
    """(text, exact) — exact is False when bytes were not valid UTF-8 and were read as Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), True
        except UnicodeDecodeError:
            return None, False
    if b"\x00" in data[:8192]:
        return None, False
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        if _printable_ratio(data) > 0.95:
            return data.decode("latin-1"), False
        return None, False


def _check_binary(ctx: _Ctx, rel: str, data: bytes) -> bool:
    """Findings for binary content; True when the file is binary (no text checks)."""
    ext = os.path.splitext(rel)[1].lower()
    name = os.path.basename(rel).lower()
    magic = _exec_magic(data)
    in_cache = "__pycache__/" in rel or rel.startswith("__pycache__")
    if magic:
        what, sev = magic
        if in_cache and what == "compiled Python bytecode":
            sev = "medium"
        ctx.add(R_BB_EXEC, sev, rel, 0, f"{what} ({len(data)} bytes)")
        return True
    if ext in _EXEC_EXT or re.search(r"\.so\.\d", name):
        text, _ = _decode_text(data)
        sev = "high" if text is None or ext in (".pyc", ".pyo", ".whl", ".egg", ".jar", ".class") else "medium"
        if in_cache and ext in (".pyc", ".pyo"):
            sev = "medium"
        ctx.add(R_BB_EXEC, sev, rel, 0, f"file type {ext or name} is compiled or packaged code")
        return text is None
    if data.startswith(_ARCHIVE_MAGIC) or data[257:262] == b"ustar" or ext in _ARCHIVE_EXT:
        ctx.add(R_BB_ARCHIVE, "medium", rel, 0, f"archive ({len(data)} bytes) whose contents are not scanned")
        return True
    if data.startswith(_ASSET_MAGIC) or (data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE")):
        ctx.add(R_BB_DATA, "low", rel, 0, f"binary asset ({len(data)} bytes, image/font/document), not scanned")
        return True
    return False


def _walk(root: Path, ctx: _Ctx) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if ".git" in dirnames:  # version-control data, not the skill; only its hooks could run anything
            dirnames.remove(".git")
            hooks = os.path.join(dirpath, ".git", "hooks")
            for hook in sorted(os.listdir(hooks)) if os.path.isdir(hooks) else []:
                if not hook.endswith(".sample"):
                    rel = os.path.relpath(os.path.join(hooks, hook), root).replace(os.sep, "/")
                    ctx.add(R_PE_SERVICE, "medium", rel, 0, "git hook in the skill's repository (runs on git commands)")
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                try:
                    target = os.readlink(full)
                except OSError:
                    target = "?"
                resolved = os.path.realpath(full)
                if not (resolved == real_root or resolved.startswith(real_root + os.sep)):
                    sev = "critical" if (SENSITIVE_PATH.search(target) or CREDENTIAL_FILE.search(target)) else "high"
                    ctx.add(R_EX_LINK, sev, rel, 0, f"symlink to '{_show(target, 80)}' outside the skill")
                    if sev == "critical":
                        ctx.cap("secret", rel, 0)
                continue
            if name in dirnames:
                continue
            if not stat.S_ISREG(st.st_mode):
                ctx.add(R_BB_DATA, "medium", rel, 0, "special file (device, socket or pipe)")
                continue
            if len(files) >= MAX_FILES:
                ctx.add(R_BB_LIMIT, "high", rel, 0, f"more than {MAX_FILES} files: the rest is not scanned")
                return files
            if total >= MAX_TOTAL_BYTES:
                ctx.add(R_BB_LIMIT, "high", rel, 0, f"over {MAX_TOTAL_BYTES} bytes: the rest is not scanned")
                return files
            try:
                with open(full, "rb") as fh:
                    data = fh.read(MAX_FILE_BYTES + 1)
            except OSError as exc:
                ctx.add(R_BB_DATA, "medium", rel, 0, f"unreadable file: {exc.strerror or exc}")
                continue
            if len(data) > MAX_FILE_BYTES:
                ctx.add(R_BB_LIMIT, "medium", rel, 0, f"larger than {MAX_FILE_BYTES} bytes: only the start is scanned")
                data = data[:MAX_FILE_BYTES]
            total += len(data)
            files[rel] = data
    return files


def _scan_files(ctx: _Ctx, files: Mapping[str, bytes]) -> None:
    modules: list[tuple[str, str, _PyModule]] = []
    for rel in sorted(files):
        data = files[rel]
        ctx.files += 1
        if _check_binary(ctx, rel, data):
            continue
        text, exact = _decode_text(data)
        if text is None:
            ctx.add(R_BB_DATA, "medium", rel, 0, f"binary data ({len(data)} bytes) that cannot be reviewed as text")
            continue
        if not exact:
            ctx.add(R_BB_DATA, "low", rel, 0, "not valid UTF-8 (read as Latin-1)")
        kind = _kind(rel, text)
        _scan_text(ctx, rel, text, kind)
        if kind == "python":
            mod = _parse_python(ctx, rel, text, line0=1, depth=0, derived=None)
            if mod is not None:
                modules.append((rel, Path(rel).stem, mod))
    # sibling modules first see each other's names, then every module is checked with them
    table = {stem: mod for _, stem, mod in modules}
    for _, _, mod in modules:
        mod.bind({})
    for _, _, mod in modules:
        mod.bind(table)
    for rel, _, mod in modules:
        mod.check()
        mod.finish()
        _downgrade_mentions(ctx, rel, mod.pattern_lines())
    _correlate(ctx)


def _downgrade_mentions(ctx: _Ctx, rel: str, lines: set[int]) -> None:
    if not lines:
        return
    for key, f in list(ctx.findings.items()):
        if f.file == rel and f.category == _PI and f.severity == "high" and f.line in lines \
                and "(in" not in f.message:
            ctx.findings[key] = Finding(f.category, "medium", f.file, f.line,
                                        f.message + " (a phrase in a list of patterns)", f.fix, f.rule)


def _correlate(ctx: _Ctx) -> None:
    """Skill-level combinations: secrets read in one place and sent from another, download-then-chmod."""
    secrets = ctx.caps.get("secret", []) + ctx.caps.get("envdump", [])
    nets = ctx.caps.get("net", [])
    already = any(f.category == _EX and f.severity == "critical" for f in ctx.findings.values())
    if secrets and nets and not already:
        (sf, sl), (nf, nl) = secrets[0], nets[0]
        ctx.add(R_EX_CORR, "critical", sf, sl,
                f"secrets are read here and the skill sends data over the network ({nf}:{nl})")
    downloads = ctx.caps.get("download", [])
    chmods = ctx.caps.get("chmodx", [])
    if downloads and chmods:
        (cf, cl), (df, dl) = chmods[0], downloads[0]
        ctx.add(R_DE_PIPE, "high", cf, cl, f"makes a file executable after downloading one ({df}:{dl})")
    runs = ctx.caps.get("runfile", [])
    if downloads and runs:
        (rf, rl), (df, dl) = runs[0], downloads[0]
        ctx.add(R_DE_PIPE, "high", rf, rl, f"runs a Python file after downloading one ({df}:{dl})")


def _finish(ctx: _Ctx, path: str, block_at: str, t0: float) -> ScanReport:
    findings = sorted(ctx.findings.values(), key=lambda f: (-_RANK[f.severity], f.file, f.line, f.rule))
    return ScanReport(path=path, findings=findings, block_at=block_at, files_scanned=ctx.files,
                      seconds=time.perf_counter() - t0)


def _check_block_at(block_at: str) -> None:
    if block_at not in _RANK:
        raise UserError(f"block_at must be one of {', '.join(SEVERITIES)}, not {block_at!r}")


def scan(path: str | os.PathLike[str], *, block_at: str = DEFAULT_BLOCK_AT) -> ScanReport:
    """Scan a skill folder (or one file). Never runs, imports or unpickles anything it reads."""
    _check_block_at(block_at)
    t0 = time.perf_counter()
    root = Path(path)
    ctx = _Ctx()
    if root.is_symlink() and not root.is_dir():
        ctx.add(R_EX_LINK, "high", root.name, 0, f"the scanned path is a symlink to '{os.readlink(root)}'")
        return _finish(ctx, str(root), block_at, t0)
    if root.is_dir():
        files = _walk(root, ctx)
    elif root.is_file():
        try:
            with open(root, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise UserError(f"cannot read {root}: {exc.strerror or exc}") from None
        if len(data) > MAX_FILE_BYTES:
            ctx.add(R_BB_LIMIT, "medium", root.name, 0, f"larger than {MAX_FILE_BYTES} bytes: only the start is scanned")
        files = {root.name: data[:MAX_FILE_BYTES]}
    else:
        raise UserError(f"nothing to scan at {root}", fix="give a skill folder or a file")
    _scan_files(ctx, files)
    return _finish(ctx, str(root), block_at, t0)


def scan_files(files: Mapping[str, bytes | str], *, label: str = "<memory>",
               block_at: str = DEFAULT_BLOCK_AT) -> ScanReport:
    """Scan a skill given as ``{relative path: content}`` (for skills that are not on disk yet)."""
    _check_block_at(block_at)
    t0 = time.perf_counter()
    ctx = _Ctx()
    data = {k.replace(os.sep, "/"): (v.encode("utf-8") if isinstance(v, str) else v)[:MAX_FILE_BYTES]
            for k, v in files.items()}
    _scan_files(ctx, data)
    return _finish(ctx, label, block_at, t0)
