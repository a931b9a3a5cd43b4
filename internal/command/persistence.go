package command

import (
	"github.com/respd/respd/internal/resp"
)

var persistenceCommands = []*Command{
	{Name: "save", Fn: saveCommand, Arity: 1, Flags: Admin | NoScript | NoAsyncLoading | NoMulti, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Synchronously saves the database(s) to disk."},
	{Name: "bgsave", Fn: bgsaveCommand, Arity: -1, Flags: Admin | NoScript | NoAsyncLoading, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Asynchronously saves the database(s) to disk."},
	{Name: "bgrewriteaof", Fn: bgrewriteaofCommand, Arity: 1, Flags: Admin | NoScript | NoAsyncLoading, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Asynchronously rewrites the append-only file to disk."},
	{Name: "lastsave", Fn: lastsaveCommand, Arity: 1, Flags: Loading | Stale | Fast, ACL: CatAdmin | CatFast | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Returns the Unix timestamp of the last successful save to disk."},
	{Name: "shutdown", Fn: shutdownCommand, Arity: -1, Flags: Admin | NoScript | Loading | Stale | NoMulti | AllowBusy, ACL: CatAdmin | CatSlow | CatDangerous, Group: "server", Since: "1.0.0", Summary: "Synchronously saves the database(s) to disk and shuts down the Redis server."},
}

// PersistenceHost is the server's side of the persistence commands.
type PersistenceHost interface {
	// Save writes the dataset to the RDB file now.
	Save() error
	// BGSave starts a background save, or with schedule one that waits
	// for the snapshot in use (an AOF rewrite); it returns the status
	// reply.
	BGSave(schedule bool) (string, error)
	// BGRewriteAOF starts (or schedules) an AOF rewrite and returns the
	// status reply.
	BGRewriteAOF() (string, error)
	// LoadRDB loads the RDB file into the dataset (DEBUG RELOAD); with
	// merge a loaded key replaces an existing one instead of failing.
	LoadRDB(merge bool) error
	// FlushedAll follows FLUSHALL: a background save in progress is
	// dropped and, with save points configured, the empty dataset saved.
	FlushedAll()
	// LastSave is the unix time of the last successful save.
	LastSave() int64
	// Shutdown stops the server, saving first as opts ask; it returns
	// only when it refuses (the save failed, or ABORT found nothing).
	Shutdown(opts ShutdownOptions) error
}

// ShutdownOptions are SHUTDOWN's flags.
type ShutdownOptions struct {
	Save, NoSave, Now, Force, Abort bool
}

var errSaveFailed = resp.Error("ERR")

func saveCommand(c *Ctx) {
	if err := c.Host.Save(); err != nil {
		c.Errorf(persistError(err))
		return
	}
	c.OK()
}

// persistError renders a save failure as Redis does: its own reply texts
// pass through, anything else is a bare ERR.
func persistError(err error) string {
	if s := err.Error(); len(s) > 4 && s[:4] == "ERR " {
		return s
	}
	return string(errSaveFailed)
}

func bgsaveCommand(c *Ctx) {
	schedule := len(c.Args) == 2 && c.ArgIs(1, "schedule")
	if len(c.Args) > 1 && !schedule {
		c.Error(ErrSyntax)
		return
	}
	status, err := c.Host.BGSave(schedule)
	if err != nil {
		c.Errorf(persistError(err))
		return
	}
	c.Simple(status)
}

func bgrewriteaofCommand(c *Ctx) {
	status, err := c.Host.BGRewriteAOF()
	if err != nil {
		c.Errorf(err.Error())
		return
	}
	c.Simple(status)
}

func lastsaveCommand(c *Ctx) { c.Int(c.Host.LastSave()) }

func shutdownCommand(c *Ctx) {
	var o ShutdownOptions
	for i := 1; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "nosave"):
			o.NoSave = true
		case c.ArgIs(i, "save"):
			o.Save = true
		case c.ArgIs(i, "now"):
			o.Now = true
		case c.ArgIs(i, "force"):
			o.Force = true
		case c.ArgIs(i, "abort"):
			o.Abort = true
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if o.Save && o.NoSave || o.Abort && (o.Save || o.NoSave || o.Now || o.Force) {
		c.Error(ErrSyntax)
		return
	}
	if err := c.Host.Shutdown(o); err != nil {
		c.Errorf(err.Error())
		return
	}
	c.Sess.CloseAfterReply = true
}
