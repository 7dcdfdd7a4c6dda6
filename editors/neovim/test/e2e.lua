-- End-to-end check of editors/neovim/lsp/podsec.lua in a real Neovim:
--   PODSEC_E2E_FILE=manifest.yaml PODSEC_E2E_OUT=result.json \
--     nvim --headless --clean -c 'luafile editors/neovim/test/e2e.lua'
-- `podsec` must be on PATH, as for a user. The script only records what the
-- editor saw (as JSON in PODSEC_E2E_OUT); tests/editors.rs judges it.
-- Steps that need a server feature run when the server announces it.

local script = vim.fs.normalize(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p'))
local neovim_dir = vim.fs.dirname(vim.fs.dirname(script))
vim.opt.runtimepath:prepend(neovim_dir)

local out_path = assert(os.getenv('PODSEC_E2E_OUT'), 'PODSEC_E2E_OUT is not set')
local file = assert(os.getenv('PODSEC_E2E_FILE'), 'PODSEC_E2E_FILE is not set')
local timeout = 30000
local result = { nvim = tostring(vim.version()), errors = {} }

local function finish()
  local handle = assert(io.open(out_path, 'w'))
  handle:write(vim.json.encode(result))
  handle:close()
  vim.cmd('qall!')
end

local function fail(message)
  table.insert(result.errors, message)
  finish()
end

-- Waits until `get` returns a value; records a failure after the timeout.
local function wait_for(what, get)
  local value
  local ok = vim.wait(timeout, function()
    value = get()
    return value ~= nil
  end, 20)
  if not ok then
    fail('timed out waiting for ' .. what)
  end
  return value
end

local function lsp_diagnostics(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(list, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      code = d.code,
      source = d.source,
      severity = d.severity,
      message = d.message,
    })
  end
  table.sort(list, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return list
end

-- Diagnostics published after `tick` (a buffer changedtick).
local function diagnostics_after(buf, tick)
  return wait_for('podsec diagnostics', function()
    local published = vim.b[buf].podsec_published_tick
    if published and published >= tick then
      return lsp_diagnostics(buf)
    end
  end)
end

-- The text a user sees: buffer lines with inlay hints in place and the
-- diagnostics' virtual text at the end of their line.
local function screen(buf, client)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local inline = {}
  for _, item in ipairs(vim.lsp.inlay_hint.get({ bufnr = buf }) or {}) do
    local hint = item.inlay_hint
    local row = hint.position.line
    local col = vim.str_byteindex(lines[row + 1] or '', client.offset_encoding, hint.position.character, false)
    local label = type(hint.label) == 'string' and hint.label
      or table.concat(vim.tbl_map(function(p) return p.value end, hint.label))
    inline[row] = inline[row] or {}
    table.insert(inline[row], { col = col, order = #inline[row], text = (hint.paddingLeft and ' ' or '') .. label })
  end
  local eol = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, -1, 0, -1, { details = true, type = 'virt_text' })) do
    local row, details = mark[2], mark[4]
    if details.virt_text and details.virt_text_pos == 'eol' then
      local text = table.concat(vim.tbl_map(function(chunk) return chunk[1] end, details.virt_text))
      eol[row] = (eol[row] or '') .. text
    end
  end
  local rendered = {}
  for i, line in ipairs(lines) do
    local row = i - 1
    local hints = inline[row] or {}
    -- From the right, so earlier columns stay valid; hints at one column keep their order.
    table.sort(hints, function(a, b) return a.col > b.col or (a.col == b.col and a.order > b.order) end)
    for _, h in ipairs(hints) do
      line = line:sub(1, h.col) .. h.text .. line:sub(h.col + 1)
    end
    if eol[row] then
      line = line .. ' ' .. eol[row]
    end
    table.insert(rendered, line)
  end
  return rendered
end

local function position_of(diagnostic)
  return { line = diagnostic.lnum, character = diagnostic.col }
end

local function run()
  vim.diagnostic.config({ virtual_text = true, underline = true, signs = false, update_in_insert = true })
  vim.lsp.enable('podsec')

  -- Record the changedtick of every publication (the buffer's version).
  vim.api.nvim_create_autocmd('DiagnosticChanged', {
    callback = function(args)
      vim.b[args.buf].podsec_published_tick = vim.api.nvim_buf_get_changedtick(args.buf)
    end,
  })

  vim.cmd.edit(vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[buf].filetype

  local client = wait_for('the podsec client', function()
    local c = vim.lsp.get_clients({ bufnr = buf, name = 'podsec' })[1]
    return c and c.initialized and c or nil
  end)
  if not client then return end
  result.client = { name = client.name, cmd = client.config.cmd, offset_encoding = client.offset_encoding }
  result.server = client.server_info

  result.diagnostics = diagnostics_after(buf, vim.api.nvim_buf_get_changedtick(buf))
  if not result.diagnostics then return end

  vim.lsp.inlay_hint.enable(true, { bufnr = buf })
  local hints = wait_for('inlay hints', function()
    local got = vim.lsp.inlay_hint.get({ bufnr = buf })
    return (got and #got > 0) and got or nil
  end)
  if not hints then return end
  result.inlay_hints = vim.tbl_map(function(item)
    return { line = item.inlay_hint.position.line, character = item.inlay_hint.position.character, label = item.inlay_hint.label }
  end, hints)
  result.screen = screen(buf, client)

  local target
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == 'pod-only-field' then
      target = d
    end
  end
  if not target then return end

  -- Hover on the misplaced key, once the server offers hover.
  if client.server_capabilities.hoverProvider then
    local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = position_of(target) }
    local response = client:request_sync('textDocument/hover', params, timeout, buf)
    local contents = response and response.result and response.result.contents
    result.hover = contents and (contents.value or contents) or vim.NIL
  end

  -- The quick fix for the misplaced key, applied as a user would.
  if client.server_capabilities.codeActionProvider then
    local lsp_diagnostic = target.user_data and target.user_data.lsp
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(buf) },
      range = { start = position_of(target), ['end'] = { line = target.end_lnum, character = target.end_col } },
      context = { diagnostics = { lsp_diagnostic }, only = { 'quickfix' } },
    }
    local response = client:request_sync('textDocument/codeAction', params, timeout, buf)
    local actions = response and response.result or {}
    result.code_actions = vim.tbl_map(function(a) return a.title end, actions)
    local action = actions[1]
    if action and not action.edit and (client.server_capabilities.codeActionProvider or {}).resolveProvider then
      local resolved = client:request_sync('codeAction/resolve', action, timeout, buf)
      action = resolved and resolved.result or action
    end
    if action and action.edit then
      local tick = vim.api.nvim_buf_get_changedtick(buf)
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
      result.text_after_action = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
      result.diagnostics_after_action = diagnostics_after(buf, tick + 1)
    end
  end
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  table.insert(result.errors, err)
end
finish()
