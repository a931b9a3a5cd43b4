package command

import (
	"sort"

	"github.com/respd/respd/internal/pubsub"
)

var pubsubCommands = []*Command{
	{Name: "subscribe", Fn: func(c *Ctx) { c.Conn.Subscribe(c, pubsub.Channel) }, Arity: -2, Flags: PubSub | NoScript | Loading | Stale | Subscribed, ACL: CatPubSub | CatSlow, Group: "pubsub", Since: "2.0.0", Summary: "Listens for messages published to channels."},
	{Name: "unsubscribe", Fn: func(c *Ctx) { c.Conn.Unsubscribe(c, pubsub.Channel) }, Arity: -1, Flags: PubSub | NoScript | Loading | Stale | Subscribed, ACL: CatPubSub | CatSlow, Group: "pubsub", Since: "2.0.0", Summary: "Stops listening to messages posted to channels."},
	{Name: "psubscribe", Fn: func(c *Ctx) { c.Conn.Subscribe(c, pubsub.Pattern) }, Arity: -2, Flags: PubSub | NoScript | Loading | Stale | Subscribed, ACL: CatPubSub | CatSlow, Group: "pubsub", Since: "2.0.0", Summary: "Listens for messages published to channels that match one or more patterns."},
	{Name: "punsubscribe", Fn: func(c *Ctx) { c.Conn.Unsubscribe(c, pubsub.Pattern) }, Arity: -1, Flags: PubSub | NoScript | Loading | Stale | Subscribed, ACL: CatPubSub | CatSlow, Group: "pubsub", Since: "2.0.0", Summary: "Stops listening to messages published to channels that match one or more patterns."},
	{Name: "ssubscribe", Fn: func(c *Ctx) { c.Conn.Subscribe(c, pubsub.Shard) }, Arity: -2, Flags: PubSub | NoScript | Loading | Stale | Subscribed, Keys: keys(1, -1, 1), ACL: CatPubSub | CatSlow, Group: "pubsub", Since: "7.0.0", Summary: "Listens for messages published to shard channels."},
	{Name: "sunsubscribe", Fn: func(c *Ctx) { c.Conn.Unsubscribe(c, pubsub.Shard) }, Arity: -1, Flags: PubSub | NoScript | Loading | Stale | Subscribed, Keys: keys(1, -1, 1), ACL: CatPubSub | CatSlow, Group: "pubsub", Since: "7.0.0", Summary: "Stops listening to messages posted to shard channels."},
	{Name: "publish", Fn: publishCommand, Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate | Sentinel, ACL: CatPubSub | CatFast, Group: "pubsub", Since: "2.0.0", Summary: "Posts a message to a channel."},
	{Name: "spublish", Fn: spublishCommand, Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, Keys: keys(1, 1, 1), ACL: CatPubSub | CatFast, Group: "pubsub", Since: "7.0.0", Summary: "Post a message to a shard channel"},
	{Name: "pubsub", Arity: -2, ACL: CatSlow, Group: "pubsub", Since: "2.8.0", Summary: "A container for Pub/Sub commands.", Sub: []*Command{
		{Name: "channels", Fn: pubsubChannels(pubsub.Channel), Arity: -2, Flags: PubSub | Loading | Stale, ACL: CatPubSub | CatSlow, Since: "2.8.0", Summary: "Returns the active channels."},
		{Name: "shardchannels", Fn: pubsubChannels(pubsub.Shard), Arity: -2, Flags: PubSub | Loading | Stale, ACL: CatPubSub | CatSlow, Since: "7.0.0", Summary: "Returns the active shard channels."},
		{Name: "numsub", Fn: pubsubNumSub(pubsub.Channel), Arity: -2, Flags: PubSub | Loading | Stale, ACL: CatPubSub | CatSlow, Since: "2.8.0", Summary: "Returns a count of subscribers to channels."},
		{Name: "shardnumsub", Fn: pubsubNumSub(pubsub.Shard), Arity: -2, Flags: PubSub | Loading | Stale, ACL: CatPubSub | CatSlow, Since: "7.0.0", Summary: "Returns the count of subscribers of shard channels."},
		{Name: "numpat", Fn: pubsubNumPat, Arity: 2, Flags: PubSub | Loading | Stale, ACL: CatPubSub | CatSlow, Since: "2.8.0", Summary: "Returns a count of unique pattern subscriptions."},
		{Name: "help", Fn: pubsubHelp, Arity: 2, Flags: Loading | Stale, ACL: CatSlow, Since: "6.2.0", Summary: "Returns helpful text about the different subcommands."},
	}},
}

func publishCommand(c *Ctx) { c.Int(c.Host.Publish(pubsub.Channel, c.Args[1], c.Args[2])) }

func spublishCommand(c *Ctx) { c.Int(c.Host.Publish(pubsub.Shard, c.Args[1], c.Args[2])) }

func pubsubChannels(k pubsub.Kind) func(c *Ctx) {
	return func(c *Ctx) {
		if len(c.Args) > 3 {
			c.Errorf("ERR unknown subcommand or wrong number of arguments for '" + cString(c.Args[1], 128) + "'. Try PUBSUB HELP.")
			return
		}
		var pattern []byte
		if len(c.Args) == 3 {
			pattern = c.Args[2]
		}
		names := c.Host.Registry().Names(k, pattern)
		sort.Strings(names)
		c.Array(len(names))
		for _, n := range names {
			c.BulkString(n)
		}
	}
}

func pubsubNumSub(k pubsub.Kind) func(c *Ctx) {
	return func(c *Ctx) {
		// A flat array even in RESP3, as Redis 7.0 replies.
		c.Array(2 * (len(c.Args) - 2))
		for _, ch := range c.Args[2:] {
			c.Bulk(ch)
			c.Int(int64(len(c.Host.Registry().Subscribers(k, string(ch)))))
		}
	}
}

func pubsubNumPat(c *Ctx) { c.Int(int64(c.Host.Registry().Count(pubsub.Pattern))) }

func pubsubHelp(c *Ctx) {
	lines := []string{
		"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
		"HELP",
		"    Prints this help.",
	}
	c.Array(len(lines))
	for _, l := range lines {
		c.Simple(l)
	}
}
