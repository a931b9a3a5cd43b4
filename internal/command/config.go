package command

var configCommands = []*Command{}
