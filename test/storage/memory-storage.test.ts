import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { storageCompliance } from './compliance.js'

storageCompliance('MemoryStorage', { create: t => new MemoryStorage(t.length), unwritten: 'zeros' })
storageCompliance('MemoryStorage (3-byte pages)', { create: t => new MemoryStorage(t.length, { pageSize: 3 }), unwritten: 'zeros' })
