"""The department's public ALPR usage and privacy policy (471.3.1(g); Civ. Code 1798.90.51(b)).

The policy is Markdown. The application ships a default derived from policy 471
(``resources/policy/usage-and-privacy-policy.md``); a department that wants its own text
puts a file named :data:`POLICY_FILE_NAME` in the data directory (next to the embedded
database, ``ALPR_DATA_DIR``), and that file is used instead. Either way the placeholders
``{agency_name}``, ``{designee_name}``, ``{designee_title}``, ``{retention_days}``,
``{training_validity_days}`` and ``{purposes}`` (a bulleted list) are filled from the
department settings; any other text in braces is left alone.

Rendering is offline (markdown-it-py, CommonMark plus tables): raw HTML in the Markdown
is shown as text and images are not rendered, so the exported page is one standalone
file with inline CSS that refers to nothing outside itself. The policy is public: reading
it needs no permission; an export is recorded in the access trail (the compliance page
reads the last one).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import html
import os
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from markdown_it import MarkdownIt

from alpr_desktop.errors import SessionEndedError, StorageError
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.settings import DepartmentSettings

POLICY_FILE_NAME = "usage-and-privacy-policy.md"
#: The action an export is recorded under in the access trail.
EXPORT_ACTION = "policy_export"
#: What a department's own file may be at most (a policy, not a book).
MAX_POLICY_BYTES = 1_000_000

_NOT_NAMED = "*(not yet named)*"
_NOT_RECORDED = "*(title not yet recorded)*"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+\-.!<>|~])")

_CSS = """
body { margin: 0; background: #f4f6f8; color: #16202a;
  font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; line-height: 1.55; }
main { max-width: 46em; margin: 2em auto; padding: 2em 2.5em; background: #ffffff;
  border: 1px solid #c3ccd7; border-radius: 6px; }
h1 { font-size: 1.7em; margin-top: 0; color: #1b2939; }
h2 { font-size: 1.25em; margin-top: 1.6em; color: #1b2939;
  border-bottom: 1px solid #e3e8ee; padding-bottom: 0.2em; }
table { border-collapse: collapse; } td, th { border: 1px solid #c3ccd7; padding: 4px 8px; }
footer { max-width: 46em; margin: 0 auto 2em; color: #4b5867; font-size: 0.85em; }
"""


@dataclass(frozen=True)
class PolicyDocument:
    """The policy filled in for this department."""

    markdown: str
    #: A standalone HTML page (inline CSS, no external references).
    html: str
    #: "default" or the path of the department's own file.
    source: str
    title: str


@dataclass(frozen=True)
class PolicyExport:
    path: Path
    sha256: str
    source: str


def _escape(value: str) -> str:
    """A settings value as literal Markdown text (raw HTML is off, so only marks)."""
    return _MD_SPECIAL.sub(r"\\\1", value.strip())


def fill_placeholders(template: str, settings: DepartmentSettings) -> str:
    """The template with the department's values in its known placeholders."""
    values = {
        "agency_name": _escape(settings.agency_name),
        "designee_name": _escape(settings.designee_name) or _NOT_NAMED,
        "designee_title": _escape(settings.designee_title) or _NOT_RECORDED,
        "retention_days": str(settings.retention_days),
        "training_validity_days": str(settings.training_validity_days),
        "purposes": "\n".join(f"- {_escape(p)}" for p in settings.purposes),
    }
    return re.sub(
        r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template.replace("\r\n", "\n")
    )


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")
    return md


def render_html(markdown: str, *, title: str, footer: str = "") -> str:
    """A standalone HTML page of ``markdown``."""
    body = _renderer().render(markdown)
    foot = f"<footer>{html.escape(footer)}</footer>\n" if footer else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n{foot}</body>\n</html>\n"
    )


def default_template() -> str:
    resource = files("alpr_desktop").joinpath("resources", "policy", POLICY_FILE_NAME)
    return resource.read_text(encoding="utf-8")


class PolicyService(BaseService):
    """The usage and privacy policy: rendered for the Policy page and the website."""

    def __init__(self, ctx: ServiceContext, *, data_dir: Path | None = None) -> None:
        super().__init__(ctx)
        self.data_dir = data_dir

    @property
    def custom_path(self) -> Path | None:
        """Where a department's own policy file goes (None: no data directory)."""
        return self.data_dir / POLICY_FILE_NAME if self.data_dir is not None else None

    def template(self) -> tuple[str, str]:
        """The Markdown template and where it came from ("default" or the file's path)."""
        path = self.custom_path
        if path is None or not path.exists():
            return default_template(), "default"
        try:
            if path.stat().st_size > MAX_POLICY_BYTES:
                raise StorageError(
                    f"The policy file {path} is larger than {MAX_POLICY_BYTES:,} bytes."
                )
            return path.read_text(encoding="utf-8"), str(path)
        except UnicodeDecodeError:
            raise StorageError(f"The policy file {path} is not UTF-8 text.") from None
        except OSError as exc:
            raise StorageError(f"Cannot read the policy file {path}: {exc.strerror}") from None

    def template_changed_at(self) -> dt.datetime | None:
        """When the department's own file last changed (None: the default is used)."""
        path = self.custom_path
        if path is None or not path.exists():
            return None
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)

    def document(self, settings: DepartmentSettings | None = None) -> PolicyDocument:
        """The policy filled in from the department settings (public: no permission)."""
        if settings is None:
            with self.ctx.db.sessions() as session:
                settings = load_department_settings(session)
        template, source = self.template()
        markdown = fill_placeholders(template, settings)
        title = f"{settings.agency_name} — ALPR Usage and Privacy Policy"
        footer = f"{settings.agency_name} · published {self.ctx.now():%Y-%m-%d}"
        return PolicyDocument(
            markdown, render_html(markdown, title=title, footer=footer), source, title
        )

    def export(self, out: Path, *, actor: Actor | None = None) -> PolicyExport:
        """Write the standalone HTML page to ``out`` (atomically) and record the export.

        ``actor``: the signed-in user exporting it (their session must be live); None for
        the command line, recorded as ``cli:<login name>`` as ``audit verify`` is.
        """
        out = Path(out).expanduser()
        if out.is_dir():
            raise StorageError(f"{out} is a folder; give the name of the HTML file to write.")
        if not out.parent.is_dir():
            raise StorageError(f"The folder {out.parent} does not exist.")
        with self.ctx.db.sessions.begin() as session:
            if actor is not None:
                problem = self._session_problem(session, actor)
                if problem is not None:
                    raise SessionEndedError(problem)
            document = self.document(load_department_settings(session))
            data = document.html.encode("utf-8")
            digest = hashlib.sha256(data).hexdigest()
            tmp = out.with_name(f".{out.name}.tmp")
            try:
                tmp.write_bytes(data)
                fields = {
                    "category": "admin",
                    "action": EXPORT_ACTION,
                    "detail": f"exported the usage and privacy policy ({document.source})",
                    "target_type": "file",
                    "target_id": digest[:64],
                    "query": {"path": str(out), "sha256": digest, "source": document.source},
                }
                if actor is not None:
                    self._append(session, actor, **fields)
                else:
                    from alpr_desktop.services.audit import append_record

                    append_record(
                        session,
                        now=self.ctx.now(),
                        username=f"cli:{getpass.getuser()}",
                        workstation=self.ctx.workstation,
                        **fields,  # type: ignore[arg-type]
                    )
                session.flush()
                os.replace(tmp, out)  # inside the transaction: no record without the file
            except OSError as exc:
                raise StorageError(f"Cannot write {out}: {exc.strerror}") from None
            finally:
                tmp.unlink(missing_ok=True)
        return PolicyExport(out, digest, document.source)
