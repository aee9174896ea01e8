//! Renders a [`StatusReply`] the way Corosync's tools print it.

use crate::ipc::StatusReply;

/// `corosync-cfgtool -s`.
pub fn cfgtool(r: &StatusReply) -> String {
    let mut s = format!("Local node ID {}, transport {}\n", r.node_id, r.transport);
    s += "LINK ID 0 udp\n";
    s += &format!("\taddr\t= {}\n", r.addr);
    s += "\tstatus:\n";
    for n in &r.nodes {
        s += &format!("\t\tnodeid: {:>10}:\t{}\n", n.id, n.link);
    }
    s
}

/// `corosync-quorumtool -s`; `date` is the ctime-style local time to print.
pub fn quorumtool(r: &StatusReply, date: &str) -> String {
    let members: Vec<_> = r.nodes.iter().filter(|n| n.member).collect();
    let mut s = String::new();
    s += "Quorum information\n------------------\n";
    s += &format!("Date:             {date}\n");
    s += "Quorum provider:  corosync_votequorum\n";
    s += &format!("Nodes:            {}\n", members.len());
    s += &format!("Node ID:          {}\n", r.node_id);
    s += &format!("Ring ID:          {:x}.{:x}\n", r.ring.0, r.ring.1);
    s += &format!(
        "Quorate:          {}\n\n",
        if r.quorate { "Yes" } else { "No" }
    );
    s += "Votequorum information\n----------------------\n";
    s += &format!("Expected votes:   {}\n", r.expected);
    s += &format!("Highest expected: {}\n", r.highest);
    s += &format!("Total votes:      {}\n", r.total);
    s += &format!(
        "Quorum:           {}{}\n",
        r.quorum,
        if r.quorate { "  " } else { " Activity blocked" }
    );
    let flags: String = r.flags.iter().map(|f| format!("{f} ")).collect();
    s += &format!("Flags:            {flags}\n\n");
    s += "Membership information\n----------------------\n";
    s += "    Nodeid      Votes Name\n";
    for n in members {
        s += &format!(
            "{:>10} {:>10} {}{}\n",
            n.id,
            n.votes,
            n.name,
            if n.id == r.node_id { " (local)" } else { "" }
        );
    }
    s
}

/// `corosync-cmapctl | grep members`: every node ever seen in a view.
pub fn cmap_members(r: &StatusReply) -> String {
    let mut s = String::new();
    for n in r.nodes.iter().filter(|n| !n.status.is_empty()) {
        let p = format!("runtime.members.{}", n.id);
        s += &format!("{p}.config_version (u64) = 0\n");
        s += &format!("{p}.ip (str) = r(0) ip({}) \n", n.addr);
        s += &format!("{p}.join_count (u32) = {}\n", n.join_count);
        s += &format!("{p}.status (str) = {}\n", n.status);
    }
    s
}
