export { WiresocketServer, type WiresocketServerOptions } from './wiresocketServer.js';
