"""A private D-Bus session bus, and the smallest StatusNotifier watcher and host.

A desktop panel (GNOME's AppIndicator extension, KDE Plasma, waybar, XFCE) reads tray
icons this way: the app registers a StatusNotifierItem with the
``org.kde.StatusNotifierWatcher``; the host reads the item's properties and its menu
(``com.canonical.dbusmenu``: ``GetLayout``), and sends ``Event(id, "clicked", ...)``
when the user picks an entry. :class:`Watcher` and :class:`Host` do just that, with
jeepney (pure Python), so the tests read and click the menu the way a desktop does.
The bus has no ``org.freedesktop.Notifications``, as on a bare window manager.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, MessageType, Properties, new_error, new_method_call
from jeepney import new_method_return as reply_to
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from jeepney.low_level import HeaderFields, Message

from tests.tray.conftest import missing

WATCHER = "org.kde.StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"

# Only what a session bus needs here: no service activation, so no notification server.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_bus(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start a private session bus; its address. Skips where dbus-daemon is absent."""
    exe = shutil.which("dbus-daemon")
    if exe is None:
        missing("dbus-daemon is not installed (Debian: apt-get install dbus-daemon)")
    config = folder / "bus.conf"
    config.write_text(BUS_CONFIG.format(folder=folder), encoding="utf-8")
    read_end, write_end = os.pipe()
    with (folder / "dbus.log").open("wb") as log:  # it warns when it cannot raise its fd limit
        proc = subprocess.Popen(
            [exe, f"--config-file={config}", f"--print-address={write_end}", "--nofork"],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        address = os.read(read_end, 4096).decode().strip() if ready else ""
    finally:
        os.close(read_end)
    if not address:
        proc.kill()
        proc.wait(10)
        raise AssertionError("dbus-daemon did not print its address")
    return proc, address


def _field(msg: Message, name: HeaderFields) -> Any:
    return msg.header.fields.get(name)


class Watcher:
    """``org.kde.StatusNotifierWatcher`` with a host registered; records each item."""

    def __init__(self, address: str) -> None:
        self.conn = open_dbus_connection(bus=address)
        self.conn.send_and_get_reply(message_bus.RequestName(WATCHER))
        self.items: list[tuple[str, str]] = []  # (bus name, object path)
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="sn-watcher", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except (OSError, ValueError):
                return  # closed under us
            if msg.header.message_type == MessageType.method_call:
                self.conn.send(self._answer(msg))

    def _answer(self, msg: Message) -> Message:
        member = _field(msg, HeaderFields.member)
        if member == "RegisterStatusNotifierItem":
            service, sender = msg.body[0], _field(msg, HeaderFields.sender)
            # The spec allows a bus name or an object path (then the sender is the name).
            path = "/StatusNotifierItem"
            item = (sender, service) if service.startswith("/") else (service, path)
            self.items.append(item)
            return reply_to(msg)
        if member == "RegisterStatusNotifierHost":
            return reply_to(msg)
        props = {
            "IsStatusNotifierHostRegistered": ("b", True),
            "ProtocolVersion": ("i", 0),
            "RegisteredStatusNotifierItems": ("as", [name for name, _ in self.items]),
        }
        if member == "Get" and msg.body[1] in props:
            return reply_to(msg, "v", (props[msg.body[1]],))
        if member == "GetAll":
            return reply_to(msg, "a{sv}", (props,))
        return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(member),))

    def close(self) -> None:
        self._closed = True
        self._thread.join(5)
        self.conn.close()


@dataclass(frozen=True)
class Entry:
    """One entry of a dbusmenu layout, with the spec's defaults filled in."""

    id: int
    label: str
    enabled: bool
    visible: bool
    separator: bool


class Host:
    """The panel side: reads an item's properties and menu, and clicks menu entries."""

    def __init__(self, address: str) -> None:
        self.conn: DBusConnection = open_dbus_connection(bus=address)

    def properties(self, item: tuple[str, str]) -> dict[str, Any]:
        where = DBusAddress(item[1], bus_name=item[0], interface=ITEM)
        reply = self.conn.send_and_get_reply(Properties(where).get_all(), timeout=10)
        return {name: value for name, (_sig, value) in reply.body[0].items()}

    def menu(self, item: tuple[str, str]) -> list[Entry]:
        """The menu's top-level entries, as ``GetLayout`` gives them."""
        path = self.properties(item)["Menu"]
        where = DBusAddress(path, bus_name=item[0], interface=MENU)
        reply = self.conn.send_and_get_reply(
            new_method_call(where, "GetLayout", "iias", (0, -1, [])), timeout=10
        )
        _revision, (_root, _props, children) = reply.body
        return [_entry(child) for _sig, child in children]

    def click(self, item: tuple[str, str], label: str) -> bool:
        """What a panel sends when the user picks the entry labelled ``label``.

        False when there is no such entry, or the menu was rebuilt (new ids) between
        reading it and clicking: the app refused the stale id.
        """
        entry = next((e for e in self.menu(item) if e.label == label), None)
        if entry is None:
            return False
        path = self.properties(item)["Menu"]
        where = DBusAddress(path, bus_name=item[0], interface=MENU)
        event = new_method_call(
            where, "Event", "isvu", (entry.id, "clicked", ("i", 0), int(time.time()))
        )
        reply = self.conn.send_and_get_reply(event, timeout=10)
        return reply.header.message_type != MessageType.error

    def close(self) -> None:
        self.conn.close()


def _entry(node: tuple[int, dict[str, tuple[str, Any]], list[Any]]) -> Entry:
    number, props, _children = node
    values = {name: value for name, (_sig, value) in props.items()}
    return Entry(
        id=number,
        label=str(values.get("label", "")),
        enabled=bool(values.get("enabled", True)),
        visible=bool(values.get("visible", True)),
        separator=values.get("type") == "separator",
    )
