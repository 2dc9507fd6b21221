"""`tpi-notes check-pdf` and `tpi-notes export-root` (issue 14 item 2): a signed note PDF checked against the
clinic root with pyHanko's validator, and the root written out for a PDF reader to trust.

check-pdf exits 0 when every signature in the file is intact, covers the whole file and chains to the clinic
root; 1 when one does not, or the file carries none; 2 on misuse (checked before anything is opened).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tpi_notes import atomic_output
from tpi_notes.domain.errors import TpiError

COMMANDS = ("check-pdf", "export-root")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check-pdf", help="check a procedure note PDF's signature against the clinic root; exit 0 "
                           "when it is intact and trusted")
    check.add_argument("--db", dest="sub_db", help="the clinic whose root to trust (file path or URL; default: as "
                       "for the app)")
    check.add_argument("--root", metavar="CERT.pem", help="trust this root certificate (PEM or DER, from `tpi-notes "
                       "export-root`) instead of reading the clinic's database")
    check.add_argument("file", metavar="FILE", help="the PDF to check")
    export = sub.add_parser("export-root", help="write the clinic root certificate (PEM) for a PDF reader to trust")
    export.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
    export.add_argument("-o", "--output", required=True, metavar="root.pem", help="the certificate file to write")


def _readable(text: str, what: str) -> str | None:
    if not text.strip() or "\0" in text:
        return f"{what} is empty or not a file name"
    path = Path(text).expanduser()
    try:
        if path.is_dir():
            return f"cannot read {path}: it is a folder"
        if not path.exists():
            return f"cannot read {path}: there is no such file"
        if not os.access(path, os.R_OK):
            return f"cannot read {path}: permission denied"
    except (OSError, ValueError) as exc:
        return f"cannot read {text!r}: {getattr(exc, 'strerror', None) or exc}"
    return None


def argument_problem(args: argparse.Namespace) -> str | None:
    """Misuse of check-pdf: a FILE or --root that cannot be read, or --root with --db."""
    if args.command != "check-pdf":
        return None
    if args.root is not None and (args.sub_db or args.db):
        return "give either --root or --db: the root to trust comes from one of them"
    return _readable(args.file, "FILE") or (_readable(args.root, "--root") if args.root is not None else None)


def run(args: argparse.Namespace) -> int:
    return _check_pdf(args) if args.command == "check-pdf" else _export_root(args)


def _open(args: argparse.Namespace):  # noqa: ANN202 - AppContext, imported late like the other commands
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.services.context import open_existing_clinic

    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is not None and not path.exists():
        raise TpiError(f"{path} does not exist; there is no clinic root to read.")
    return open_existing_clinic(db)


def _roots(args: argparse.Namespace) -> list[bytes]:
    from tpi_notes.domain.clinic_certificates import from_pem_or_der

    if args.root is not None:
        try:
            return [from_pem_or_der(Path(args.root).expanduser().read_bytes())]
        except ValueError:
            raise TpiError(f"{args.root} is not a certificate (PEM or DER)") from None
        except OSError as exc:
            raise TpiError(f"cannot read {args.root}: {exc.strerror or exc}") from None
    from tpi_notes.services.signed_notes import clinic_roots

    ctx = _open(args)
    try:
        roots = clinic_roots(ctx)
    finally:
        ctx.close()
    if not roots:
        raise TpiError("This clinic has no root certificate yet (an administrator's next sign-in makes it); "
                       "nothing to check against.")
    return roots


def _verdict(check) -> str:  # noqa: ANN001 - domain.pdf_signatures.PdfSignatureCheck
    if not (check.intact and check.valid):
        return "CHANGED: the signed bytes no longer match the signature"
    if not check.trusted:
        return "intact, but NOT TRUSTED: its certificate is not issued by the clinic root"
    if not check.whole_file:
        return "intact as signed, but the file was CHANGED after signing (bytes were added after the signature)"
    return "intact, and its certificate is issued by the clinic root"


def _check_pdf(args: argparse.Namespace) -> int:
    from tpi_notes.domain.pdf_signatures import PdfSignatureError, check_pdf

    try:
        data = Path(args.file).expanduser().read_bytes()
    except OSError as exc:
        raise TpiError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    roots = _roots(args)
    try:
        found = check_pdf(data, roots)
    except PdfSignatureError as exc:
        raise TpiError(f"cannot check {args.file}: {exc}") from None
    if not found:
        print(f"{args.file}: no PDF signature (a note signed before PDF signatures, a pending one, or a draft).")
        return 1
    for n, check in enumerate(found, start=1):
        when = check.signed_at.strftime("%Y-%m-%d %H:%M:%S %Z") if check.signed_at else "at an unknown time"
        print(f"Signature {n} of {len(found)}: {check.signer}, signed {when} (the signer's clock): "
              f"{_verdict(check)}.")
    if all(check.ok for check in found):
        print(f"{args.file}: intact and signed under the clinic root.")
        return 0
    sys.stderr.write(f"tpi-notes: {args.file} does not check out (see above)\n")
    return 1


def _export_root(args: argparse.Namespace) -> int:
    from tpi_notes.services.signed_notes import export_root

    out = Path(args.output).expanduser()
    ctx = _open(args)
    try:
        pem = export_root(ctx)
    finally:
        ctx.close()
    try:
        atomic_output.write_bytes(out, pem, private=False)  # a public certificate: readable by the PDF reader
    except OSError as exc:
        raise TpiError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"Wrote the clinic root certificate to {out}: tell the PDF reader to trust it for signatures "
          "(e.g. Adobe Acrobat: Preferences → Signatures → Identities & Trusted Certificates → Import).")
    return 0
