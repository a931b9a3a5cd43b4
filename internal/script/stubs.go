package script

import lua "github.com/yuin/gopher-lua"

func structLib(L *lua.LState) *lua.LTable   { return L.NewTable() }
func cmsgpackLib(L *lua.LState) *lua.LTable { return L.NewTable() }
func cjsonLib(L *lua.LState) *lua.LTable    { return L.NewTable() }
