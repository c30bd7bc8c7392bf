import { installFetchCheck } from './contract';

/** Suites that call fetch themselves are checked like those using Instance.http(). */
installFetchCheck();
