-- Headless check of `cargo concurrency-lint server` with Neovim's built-in LSP client:
--
--   CONCURRENCY_LINT=target/debug/cargo-concurrency-lint \
--     nvim --headless -u editors/nvim/check.lua path/to/file.rs
--
-- Opens the file, attaches the server (vim.lsp.start on Neovim >= 0.8, start_client +
-- buf_attach_client before that), prints every diagnostic it receives as
-- `file:line:col: severity[rule] message` (1-based, as Neovim shows them), the quick fixes
-- offered at the first one and the first line of its hover, then shuts the server down.
-- Exits 0 when diagnostics arrived, 1 otherwise.

local function out(text)
  io.stdout:write(text .. '\n')
end

local severities = { 'error', 'warning', 'info', 'hint' }

local function run()
  local file = vim.fn.argv(0)
  if file == '' then
    out('usage: nvim --headless -u check.lua FILE.rs')
    vim.cmd('cquit 1')
  end
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local manifest = vim.fn.findfile('Cargo.toml', vim.fn.expand('%:p:h') .. ';')
  local root = manifest ~= '' and vim.fn.fnamemodify(manifest, ':p:h') or vim.fn.getcwd()
  local received = nil
  local config = {
    name = 'concurrency-lint',
    cmd = { os.getenv('CONCURRENCY_LINT') or 'cargo-concurrency-lint', 'server' },
    root_dir = root,
    handlers = {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, cfg)
        received = result
        return vim.lsp.handlers['textDocument/publishDiagnostics'](err, result, ctx, cfg)
      end,
    },
  }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config)
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  local v = vim.version()
  out(string.format('nvim %d.%d.%d, server root %s', v.major, v.minor, v.patch, root))
  if not vim.wait(30000, function() return received ~= nil end, 20) then
    out('no diagnostics received')
    vim.cmd('cquit 1')
  end
  for _, d in ipairs(received.diagnostics) do
    out(string.format('%s:%d:%d: %s[%s] %s', vim.fn.fnamemodify(vim.uri_to_fname(received.uri), ':.'),
      d.range.start.line + 1, d.range.start.character + 1, severities[d.severity] or '?',
      tostring(d.code), (d.message:gsub('\n', ' | '))))
  end
  out(string.format('%d diagnostic(s) in vim.diagnostic for the buffer', #vim.diagnostic.get(bufnr)))
  local client = vim.lsp.get_client_by_id(client_id)
  local first = received.diagnostics[1]
  if first and client then
    local uri = vim.uri_from_bufnr(bufnr)
    local actions = client.request_sync('textDocument/codeAction', {
      textDocument = { uri = uri },
      range = first.range,
      context = { diagnostics = { first } },
    }, 5000, bufnr)
    for _, action in ipairs((actions and actions.result) or {}) do
      out('code action: ' .. action.title .. ' (' .. tostring(action.kind) .. ')')
    end
    local hover = client.request_sync('textDocument/hover', {
      textDocument = { uri = uri },
      position = first.range.start,
    }, 5000, bufnr)
    if hover and hover.result then
      out('hover: ' .. vim.split(hover.result.contents.value, '\n')[1])
    end
  end
  if client then
    client.stop()
    vim.wait(5000, function() return client.is_stopped() end, 20)
  end
  vim.cmd('qall!')
end

vim.api.nvim_create_autocmd('VimEnter', {
  callback = function()
    local ok, err = pcall(run)
    if not ok then
      out('error: ' .. tostring(err))
      vim.cmd('cquit 1')
    end
  end,
})
