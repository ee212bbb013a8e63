"""Mail addresses as Japanese phones have them, including the ones RFC 5322 forbids."""
import re

from ..forms import bilingual

# RFC 5322 atext: what a local part may hold unquoted, between single dots.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
# Older carrier addresses put dots first, last or twice (foo.@docomo.ne.jp): allow any dots.
_LOCAL = re.compile(rf"(?:{_ATEXT}|\.)+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class InvalidAddress(ValueError):
    """An address that cannot be delivered; the message says why, in both languages."""


def normalise(text):
    """``text`` as a deliverable address (domain lower-cased), or raise InvalidAddress."""
    address = (text or "").strip()
    if not address:
        raise InvalidAddress(bilingual("メールアドレスを入力してください。", "Enter your mail address."))
    local, at, domain = address.rpartition("@")
    if at and local.isascii() and not domain.isascii():
        # A Japanese domain name (例え.jp), or the domain typed with the IME still on (ｄｏｃｏｍｏ．ｎｅ．ｊｐ):
        # IDNA gives the ASCII form mail servers use. What it cannot convert is refused below.
        try:
            address = f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            pass
    if not address.isascii():
        raise InvalidAddress(bilingual("メールアドレスは半角の英数字で入力してください（全角の文字が入っています）。",
                                       "Use half-width characters only; the address has full-width ones."))
    if any(c.isspace() for c in address):
        raise InvalidAddress(bilingual("メールアドレスに空白が入っています。", "The address contains a space."))
    if address.count("@") != 1:
        raise InvalidAddress(bilingual("メールアドレスには「@」を1つだけ入れてください。",
                                       "An address has exactly one '@'."))
    local, domain = address.split("@")
    if len(local) > 2 and local.startswith('"') and local.endswith('"'):
        local = local[1:-1]  # as it arrives over SMTP (see on_the_wire)
    if not local or len(local) > 64 or not _LOCAL.fullmatch(local):
        raise InvalidAddress(bilingual("「@」の前の部分に使えない文字があります。",
                                       "The part before '@' contains characters that cannot be used."))
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise InvalidAddress(bilingual("「@」の後の部分（ドメイン）が正しくありません。例：docomo.ne.jp",
                                       "The part after '@' (the domain) is not valid, e.g. docomo.ne.jp."))
    return f"{local}@{domain.lower()}"


def mailbox(address):
    """The mailbox a normalised address reaches, for counting: ``Taro+x@`` and ``taro@`` are one."""
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def on_the_wire(address):
    """``address`` as SMTP and mail headers need it: the local part quoted when it is not a dot-atom."""
    local, domain = address.rsplit("@", 1)
    if _DOT_ATOM.fullmatch(local):
        return address
    return f'"{local}"@{domain}'
