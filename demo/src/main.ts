/** Entry of the demo storefront: reads the config, starts the engine and mounts the store. */
import './styles.css';
import { App } from './app.js';
import { Catalog } from './catalog.js';
import { loadConfig } from './config.js';
import { Engine } from './engine.js';

const root = document.getElementById('app');
if (!root) throw new Error('index.html must contain <div id="app">.');

const config = await loadConfig();
const engine = await Engine.start(config.endpoint, config.models);
const app = new App(config, new Catalog(config.endpoint), engine);
await app.mount(root);
document.body.dataset.ready = 'true';
