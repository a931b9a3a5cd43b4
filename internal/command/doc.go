// Package command holds the command table and the command handlers.
//
// Every command is one row of a family table (strings.go, keys.go, ...):
// name, handler, arity, flags, key positions and ACL categories. The
// server's dispatcher looks commands up with Lookup and drives its checks
// from the flags; it never switches on a command name.
//
// A handler gets a *Ctx: the arguments (slices into the client's read
// buffer, valid only during the call: copy what you keep), the client's
// Session, the current database, and a resp.Writer to append its reply
// to. Handlers change data only through package keyspace. What a handler
// needs from the server (INFO text, client list, configuration) comes
// through the Host interface, which package server implements, so this
// package never imports server.
package command
