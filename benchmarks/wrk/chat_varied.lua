-- wrk script for ../shared/bench: the kit's chat request, but every request is different.
-- ~1.1 KB of French business prose naming people of several origins, with figures and names
-- drawn per request (seeded per thread), so that no cache on the path (ours or a peer's) can
-- answer it and the name detectors always have real work. Same env as the kit's chat.lua:
--   BENCH_API_KEY  bearer token (default sk-bench-0000); BENCH_STREAM=1 asks for a stream.
-- benchmarks/litellm_compare.sh installs it as wrk/chat.lua in a copy of the kit.
local key = os.getenv("BENCH_API_KEY") or "sk-bench-0000"
local stream = os.getenv("BENCH_STREAM") == "1"

local system = "Tu es l'assistant de la direction financière d'une PME industrielle lyonnaise. "
  .. "Réponds en français, de façon concise et factuelle, en trois phrases au plus."

local first = {"Marie", "Karim", "Lan", "Oluwaseun", "Giulia", "Jürgen", "Aïcha", "Wei",
  "Sofia", "Mateo", "Élodie", "Youssef", "Ingrid", "Tomasz", "Amina", "Hugo"}
local last = {"Dupont", "Benali", "Nguyen", "Adeyemi", "Rossi", "Schmidt", "Traoré", "Zhang",
  "Kowalska", "García", "Lefèvre", "El Amrani", "Johansson", "Nowak", "Diallo", "Moreau"}
local countries = {"l'Allemagne", "l'Italie", "l'Espagne", "la Pologne", "la Belgique"}

local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tonumber(id) or 0
  math.randomseed(os.time() * 1000 + thread_id)
end

local function pick(list) return list[math.random(#list)] end
local function person() return pick(first) .. " " .. pick(last) end

local function prompt()
  counter = counter + 1
  local revenue = string.format("%d,%d", math.random(12, 40), math.random(0, 9))
  local growth = string.format("%d,%d", math.random(1, 9), math.random(0, 9))
  return "Voici les éléments du comité de direction du trimestre n° " .. thread_id .. "-"
    .. counter .. ", présentés par " .. person() .. ", directrice financière, et " .. person()
    .. ", contrôleur de gestion. Le chiffre d'affaires consolidé atteint " .. revenue
    .. " millions d'euros, en hausse de " .. growth .. " % sur un an, porté par l'export vers "
    .. pick(countries) .. " et " .. pick(countries) .. ", tandis que le marché français reste "
    .. "atone. La marge brute recule de 0," .. math.random(1, 9) .. " point à cause de la hausse "
    .. "du prix de l'acier et des coûts de transport, selon l'analyse de " .. person() .. ". Le "
    .. "besoin en fonds de roulement est stable à " .. math.random(35, 60) .. " jours de chiffre "
    .. "d'affaires, mais deux fournisseurs stratégiques suivis par " .. person() .. " ont allongé "
    .. "leurs délais de livraison de trois semaines. Le carnet de commandes couvre "
    .. math.random(2, 6) .. " mois de production. Rédige une synthèse pour le conseil "
    .. "d'administration présidé par " .. person() .. ", avec les risques principaux et une "
    .. "recommandation prioritaire pour le prochain trimestre."
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = stream and "text/event-stream" or "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

function request()
  local body = '{"model":"gpt-4o-mini","temperature":0.2,"max_tokens":256,'
    .. '"stream":' .. (stream and "true" or "false") .. ','
    .. '"messages":[{"role":"system","content":"' .. system .. '"},'
    .. '{"role":"user","content":"' .. prompt() .. '"}]}'
  return wrk.format(nil, nil, nil, body)
end
