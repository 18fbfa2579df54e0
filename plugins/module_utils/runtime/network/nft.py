# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Packet filtering through nftables: masquerade for networks, DNAT for published ports.

Everything lives in a table of our own, ``inet opencontainer`` (nft(8)), so
no other tool's rules are touched and ``nft delete table inet opencontainer``
removes all of it:

* ``prerouting`` and ``output`` (nat hooks) only jump to ``published`` for
  packets addressed to this host (``fib daddr type local``): a published port
  answers on the host's addresses, from outside and from the host itself,
  and traffic forwarded elsewhere is left alone;
* ``published`` holds one DNAT rule per published port;
* ``postrouting`` masquerades a network's outbound traffic and the loopback
  source of connections to a port published on 127.0.0.1.

Each rule carries a comment naming its owner (a container or a network, by
a hash of the state root and the name), so removing a container removes
exactly its rules. Every change is one ``nft -f`` transaction (atomic in the
kernel); adding the rules of an owner first deletes that owner's existing
rules, so a rerun replaces instead of duplicating.
"""

import json
import os
import shutil
import subprocess

from ..errors import UnsupportedError
from .common import NetworkError, short_hash

FAMILY = "inet"
TABLE = "opencontainer"
_T = "%s %s" % (FAMILY, TABLE)
NFT_CANDIDATES = ("/usr/sbin/nft", "/sbin/nft")


def container_tag(state_root, container_id):
    return "oci:ctr:" + short_hash(os.path.abspath(state_root), container_id)[:24]


def network_tag(state_root, name):
    return "oci:net:" + short_hash(os.path.abspath(state_root), name)[:24]


def render_base():
    """The table, its chains and the two jumps to ``published`` (flushed first: idempotent)."""
    return [
        "add table %s" % _T,
        "add chain %s prerouting { type nat hook prerouting priority dstnat; policy accept; }" % _T,
        "add chain %s output { type nat hook output priority -100; policy accept; }" % _T,
        "add chain %s postrouting { type nat hook postrouting priority srcnat; policy accept; }" % _T,
        "add chain %s published" % _T,
        "flush chain %s prerouting" % _T,
        "flush chain %s output" % _T,
        "add rule %s prerouting fib daddr type local jump published" % _T,
        "add rule %s output fib daddr type local jump published" % _T,
    ]


def render_network(network, tag):
    """Masquerade of a network's traffic leaving its subnet, and of loopback sources sent to its bridge."""
    rules = [
        "add rule %s postrouting ip saddr %s ip daddr != %s masquerade comment \"%s\""
        % (_T, network["subnet"], network["subnet"], tag),
        "add rule %s postrouting oifname \"%s\" ip saddr 127.0.0.0/8 masquerade comment \"%s\""
        % (_T, network["bridge"], tag),
    ]
    if network.get("subnet6"):
        rules.append("add rule %s postrouting ip6 saddr %s ip6 daddr != %s masquerade comment \"%s\""
                     % (_T, network["subnet6"], network["subnet6"], tag))
    return rules


def render_publish(entries, container_ip, tag):
    """One DNAT rule per published port (IPv4)."""
    rules = []
    for entry in entries:
        match = "meta nfproto ipv4 "
        if entry["host_ip"]:
            match += "ip daddr %s " % entry["host_ip"]
        rules.append("add rule %s published %s%s dport %d dnat ip to %s:%d comment \"%s\""
                     % (_T, match, entry["protocol"], entry["host_port"], container_ip,
                        entry["container_port"], tag))
    return rules


def render_delete(handles):
    """Delete rules by (chain, handle)."""
    return ["delete rule %s %s handle %d" % (_T, chain, handle) for chain, handle in handles]


def tagged_handles(listing, tag):
    """(chain, handle) of the rules in an ``nft -j -a list table`` answer whose comment is ``tag``."""
    found = []
    for item in listing.get("nftables") or []:
        rule = item.get("rule")
        if rule and rule.get("comment") == tag:
            found.append((rule["chain"], rule["handle"]))
    return found


def nft_binary():
    binary = shutil.which("nft") or next((p for p in NFT_CANDIDATES if os.access(p, os.X_OK)), None)
    if not binary:
        raise UnsupportedError("bridge networking needs nftables (the nft command; Debian: apt-get install nftables)")
    return binary


def _nft(args, script=None):
    try:
        proc = subprocess.run([nft_binary()] + args, input=script, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise NetworkError("nft %s: %s" % (" ".join(args), e))
    return proc


def run_script(lines):
    if not lines:
        return
    script = "\n".join(lines) + "\n"
    proc = _nft(["-f", "-"], script)
    if proc.returncode != 0:
        raise NetworkError("nft rejected the rules: %s\n%s" % (proc.stderr.strip(), script))


def list_table():
    """The table as nft's JSON, or {} when it does not exist."""
    proc = _nft(["-j", "-a", "list", "table", FAMILY, TABLE])
    if proc.returncode != 0:
        if "No such file or directory" in proc.stderr:
            return {}
        raise NetworkError("nft list table %s: %s" % (_T, proc.stderr.strip()))
    try:
        return json.loads(proc.stdout)
    except ValueError as e:
        raise NetworkError("nft -j printed something that is not JSON: %s" % e)


def replace_rules(tag, rules):
    """Make ``rules`` the only rules with comment ``tag`` (the base chains are created if missing)."""
    stale = tagged_handles(list_table(), tag)
    run_script(render_base() + render_delete(stale) + list(rules))


def delete_rules(tag):
    """Remove every rule with comment ``tag``; the number removed."""
    stale = tagged_handles(list_table(), tag)
    run_script(render_delete(stale))
    return len(stale)
