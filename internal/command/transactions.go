package command

var transactionCommands = []*Command{
	{Name: "multi", Fn: func(c *Ctx) { c.Conn.Multi(c) }, Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy | Unqueued, ACL: CatFast | CatTransaction, Group: "transactions", Since: "1.2.0", Summary: "Starts a transaction."},
	{Name: "exec", Fn: func(c *Ctx) { c.Conn.Exec(c) }, Arity: 1, Flags: NoScript | Loading | Stale | SkipSlowlog | Unqueued | EndsTx | Long, ACL: CatSlow | CatTransaction, Group: "transactions", Since: "1.2.0", Summary: "Executes all commands in a transaction."},
	{Name: "discard", Fn: func(c *Ctx) { c.Conn.Discard(c) }, Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy | Unqueued, ACL: CatFast | CatTransaction, Group: "transactions", Since: "2.0.0", Summary: "Discards a transaction."},
	{Name: "watch", Fn: func(c *Ctx) { c.Conn.Watch(c) }, Arity: -2, Flags: NoScript | Loading | Stale | Fast | AllowBusy | Unqueued, Keys: keys(1, -1, 1), ACL: CatFast | CatTransaction, Group: "transactions", Since: "2.2.0", Summary: "Monitors changes to keys to determine the execution of a transaction."},
	{Name: "unwatch", Fn: func(c *Ctx) { c.Conn.Unwatch(c) }, Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, ACL: CatFast | CatTransaction, Group: "transactions", Since: "2.2.0", Summary: "Forgets about watched keys of a transaction."},
}
