//! Membership: a Totem-like token ring over UDP unicast with votequorum.
//!
//! Not yet implemented (see the membership issue). Data will enter as received
//! datagrams plus the current time and leave as datagrams to send, the next
//! timer deadline, and events (delivered messages, view changes, quorum).
