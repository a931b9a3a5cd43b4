package script

import lua "github.com/yuin/gopher-lua"

// Redis makes _G and its library tables read-only inside the VM. On
// gopher-lua they are empty proxies whose metatables read through to the
// real tables and refuse writes; the raw-access functions below see
// through the proxies too, so rawget(_G, name), next and pairs work on
// the globals as in Redis, while rawset on them is refused.

// realTable returns the table a proxy stands for (or t itself).
func (e *Engine) realTable(t *lua.LTable) *lua.LTable {
	if r, ok := e.proxies[t]; ok {
		return r
	}
	return t
}

// installRawAccess replaces rawget, rawset, next and pairs in g.
func (e *Engine) installRawAccess(L *lua.LState, g *lua.LTable) {
	next := L.NewFunction(func(L *lua.LState) int {
		t := e.realTable(L.CheckTable(1))
		k, v := t.Next(L.Get(2))
		if k == lua.LNil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(k)
		L.Push(v)
		return 2
	})
	g.RawSetString("next", next)
	g.RawSetString("pairs", L.NewFunction(func(L *lua.LState) int {
		t := e.realTable(L.CheckTable(1))
		L.Push(next)
		L.Push(t)
		L.Push(lua.LNil)
		return 3
	}))
	g.RawSetString("rawget", L.NewFunction(func(L *lua.LState) int {
		t := e.realTable(L.CheckTable(1))
		L.Push(t.RawGet(L.CheckAny(2)))
		return 1
	}))
	g.RawSetString("rawset", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		if _, ok := e.proxies[t]; ok {
			// A C function's error in Redis: no position.
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		t.RawSet(L.CheckAny(2), L.CheckAny(3))
		L.Push(t)
		return 1
	}))
}

// tableForeach and tableForeachi are Lua 5.1's deprecated table.foreach
// and table.foreachi, which Redis's Lua still has.
func tableForeach(L *lua.LState) int {
	t := L.CheckTable(1)
	f := L.CheckFunction(2)
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		L.Push(f)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

func tableForeachi(L *lua.LState) int {
	t := L.CheckTable(1)
	f := L.CheckFunction(2)
	n := t.Len()
	for i := 1; i <= n; i++ {
		L.Push(f)
		L.Push(lua.LNumber(i))
		L.Push(t.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}
